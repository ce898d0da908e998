import type { Keyring } from '../../crypto/keyring.js';
import { connectionNotFound } from '../../errors.js';
import type { Database, Queryable } from '../../storage/database.js';
import type { ConnectionRow } from '../../storage/connections-store.js';
import { refreshStore } from '../../storage/refresh-store.js';
import { servicesStore, type ServiceRow } from '../../storage/services-store.js';
import { refreshLeaseStore } from '../../storage/refresh-lease.js';
import { awaitLeaseEnd, leaseOwner, leaseDurationMs } from './refresh-lease-wait.js';
import { openRefreshToken, sealConnectionSecrets } from '../connection-secrets.js';
import { tokenEndpointFor, type EndpointOptions } from './service-endpoint.js';
import { requestToken, TokenEndpointError, type TokenAnswer } from '../../oauth/token-endpoint.js';
import { parseScopeList } from '../../oauth/scopes.js';
import { answerExpiresAt, inBackoff, isRenewable, nextRefreshAt } from './refresh-policy.js';
import { emitRefreshFailureEvents } from '../webhooks/webhook-events.js';
import { recordRefreshFailure } from './refresh-failure.js';

export type RefreshOutcome =
	| 'refreshed'
	| 'not_due'
	| 'backoff'
	| 'failed'
	| 'needs_reauth'
	| 'superseded';

export interface RefreshResult {
	outcome: RefreshOutcome;
	/** The connection after the attempt (as read again when another process did the work). */
	connection: ConnectionRow;
	/** Why it failed: an OAuth error code or a transport failure, never a secret. */
	reason?: string;
}

export interface RefreshDependencies extends EndpointOptions {
	db: Database;
	keyring: Keyring;
}

/** Decides, under the lock, whether the connection still needs this refresh. */
export type DuePredicate = (connection: ConnectionRow, now: number) => boolean | Promise<boolean>;

/** RFC 6749 §6 (refresh token) or §4.4 (client credentials), with the old refresh token if any. */
async function grantFor(
	keyring: Keyring,
	connection: ConnectionRow,
	service: ServiceRow,
): Promise<{ params: Record<string, string>; refreshToken: string | undefined }> {
	if (connection.type === 'oauth2_client_credentials') {
		const scope = parseScopeList(service.oauth_scopes).join(service.scope_separator);
		return {
			params: { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
			refreshToken: undefined,
		};
	}
	const refreshToken = await openRefreshToken(
		keyring,
		connection.client_id,
		connection.service,
		connection.refresh_token_ciphertext!,
	);
	return { params: { grant_type: 'refresh_token', refresh_token: refreshToken }, refreshToken };
}

async function storeAnswer(
	deps: RefreshDependencies,
	q: Queryable,
	connection: ConnectionRow,
	service: ServiceRow,
	answer: TokenAnswer,
	oldRefreshToken: string | undefined,
) {
	// a rotated refresh token replaces the old one in the same write (RFC 6749 §6); else keep it
	const refreshToken = answer.refresh_token ?? oldRefreshToken ?? null;
	const sealed = sealConnectionSecrets(
		deps.keyring,
		connection.client_id,
		connection.service,
		{ access_token: answer.access_token },
		refreshToken,
	);
	const expiresAt = answerExpiresAt(service, answer.expires_in);
	const renewable = connection.type === 'oauth2_client_credentials' || refreshToken !== null;
	return refreshStore(q).recordSuccess({
		clientId: connection.client_id,
		service: connection.service,
		previous: connection.credential_ciphertext,
		...sealed,
		tokenType: answer.token_type ?? null,
		// RFC 6749 §5.1: an answer stating no scope keeps the scopes granted before
		scopes: answer.scopes ?? null,
		metadata: answer.metadata,
		expiresAt,
		nextRefreshAt: nextRefreshAt(service, expiresAt, renewable),
	});
}

/**
 * Renews one connection's access token. The row is read; when `isDue` says another process already
 * did the work, no provider call is made. Otherwise the refresh lease in the row is taken with a
 * compare-and-set (migration 0010) and the provider is called with no transaction open, so a slow
 * provider holds no pooled connection; the answer is stored only while the lease is still ours and
 * the credential unchanged. A live lease held elsewhere is waited out, then the row is judged
 * again: one provider call across processes. Every outcome is written to the row; none throws but
 * a missing connection or a storage failure.
 */
export async function refreshConnection(
	deps: RefreshDependencies,
	clientId: string,
	serviceName: string,
	isDue: DuePredicate,
): Promise<RefreshResult> {
	const leases = refreshLeaseStore(deps.db);
	const store = refreshStore(deps.db);
	const reread = async () => (await store.readForRefresh(clientId, serviceName)) ?? missing();
	const missing = (): never => {
		throw connectionNotFound(clientId, serviceName);
	};
	const leaseMs = leaseDurationMs(deps.timeoutMs);
	for (;;) {
		const connection = await reread();
		const now = Date.now();
		if (connection.status === 'needs_reauth')
			return { outcome: 'needs_reauth', connection, reason: connection.last_error ?? undefined };
		if (!(await isDue(connection, now))) return { outcome: 'not_due', connection };
		if (inBackoff(connection, now))
			return { outcome: 'backoff', connection, reason: connection.last_error ?? undefined };
		const key = { clientId, service: serviceName, previous: connection.credential_ciphertext };
		if (!isRenewable(connection)) {
			await deps.db.transaction(async (tx) => {
				const state = await refreshStore(tx).markNeedsReauth(key, 'expired and no refresh token');
				if (state) await emitRefreshFailureEvents(tx, state);
			});
			return {
				outcome: 'needs_reauth',
				connection: await reread(),
				reason: 'expired and no refresh token',
			};
		}
		const owner = leaseOwner();
		if (!(await leases.take(key, owner, leaseMs))) {
			// another process is calling the provider: judge the row again once it is done
			await awaitLeaseEnd(leases, key, leaseMs);
			continue;
		}
		try {
			const service = (await servicesStore(deps.db).get(serviceName)) ?? missing();
			try {
				const grant = await grantFor(deps.keyring, connection, service);
				const answer = await requestToken(
					await tokenEndpointFor(service, deps.keyring, deps, connection.accounts_server),
					grant.params,
				);
				const stored = await deps.db.transaction(
					async (tx) =>
						(await refreshLeaseStore(tx).stillHeld(clientId, serviceName, owner)) &&
						(await storeAnswer(deps, tx, connection, service, answer, grant.refreshToken)),
				);
				return { outcome: stored ? 'refreshed' : 'superseded', connection: await reread() };
			} catch (error) {
				if (!(error instanceof TokenEndpointError)) throw error;
				const failure = await deps.db.transaction((tx) =>
					recordRefreshFailure(tx, key, connection, error),
				);
				return { ...failure, connection: await reread() };
			}
		} finally {
			await leases.release(clientId, serviceName, owner);
		}
	}
}
