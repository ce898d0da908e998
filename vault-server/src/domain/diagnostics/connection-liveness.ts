import type { Keyring } from '../../crypto/keyring.js';
import type { Database } from '../../storage/database.js';
import type { ConnectionRow } from '../../storage/connections-store.js';
import type { ServiceRow } from '../../storage/services-store.js';
import { openCredentialSecret } from '../connection-secrets.js';
import type { ConnectionRefresher } from '../refresh/connection-refresher.js';
import { isExpired, isRenewable } from '../refresh/refresh-policy.js';
import { parseProviderUrl } from '../../oauth/provider-url.js';
import type { Actor } from '../api-tokens.js';
import type { CheckResult } from './system-checks.js';

export interface LivenessDependencies {
	db: Database;
	keyring: Keyring;
	refresher: ConnectionRefresher;
	timeoutMs: number;
	allowInsecure: boolean;
	/** The vault's own API (Config.apiUrl): a test_url there may be http, as the demo data's are. */
	selfUrl: string;
	/** Who the refreshes are audited as; the CLI's own actor when unset. */
	actor?: Actor;
}

const CLI_ACTOR: Actor = {
	id: 'cli:test-connections',
	name: 'otobot-vault test-connections',
	scope: 'admin',
	clients: null,
	source: 'environment',
};

type TestUrlOutcome = { status: 'OK' | 'FAILED' | 'SKIPPED'; detail: string };

/** GET the service's test_url with the connection's credential; only the status is kept. */
async function callTestUrl(
	deps: LivenessDependencies,
	connection: ConnectionRow,
	service: ServiceRow,
): Promise<TestUrlOutcome> {
	const testUrl = service.test_url!;
	// the vault calling itself at the address its operator configured reaches no third party
	const self = URL.canParse(testUrl) && new URL(testUrl).origin === new URL(deps.selfUrl).origin;
	const checked = parseProviderUrl(testUrl, deps.allowInsecure || self);
	if ('problem' in checked)
		return {
			status: 'FAILED',
			detail:
				checked.problem === 'invalid' ? 'test_url is not a valid URL' : 'test_url must be https',
		};
	const { url } = checked;
	const secret = await openCredentialSecret(
		deps.keyring,
		connection.client_id,
		connection.service,
		connection.credential_ciphertext,
	);
	const authorization =
		secret.username !== undefined
			? `Basic ${Buffer.from(`${secret.username}:${secret.password ?? ''}`).toString('base64')}`
			: `${connection.token_type ?? 'Bearer'} ${secret.access_token ?? secret.api_key ?? ''}`;
	try {
		const response = await fetch(url, {
			headers: { authorization, accept: 'application/json' },
			redirect: 'manual',
			signal: AbortSignal.timeout(deps.timeoutMs),
		});
		await response.body?.cancel();
		return response.ok
			? {
					status: 'OK',
					detail: self ? "the vault's own test_url answered 2xx" : 'test_url answered 2xx',
				}
			: { status: 'FAILED', detail: `test_url answered HTTP ${response.status}` };
	} catch (error) {
		if (self)
			return {
				status: 'SKIPPED',
				detail: `test_url is the vault's API, not running at ${url.origin}`,
			};
		return {
			status: 'FAILED',
			detail:
				error instanceof Error && error.name === 'TimeoutError'
					? `test_url timed out after ${deps.timeoutMs} ms`
					: 'test_url unreachable',
		};
	}
}

/**
 * Whether a connection works now: its service's test_url when defined; else, for OAuth2, a real
 * refresh through the refresher (trigger `manual`, audited); else it is not checked.
 */
export async function checkConnection(
	deps: LivenessDependencies,
	connection: ConnectionRow,
	service: ServiceRow,
): Promise<CheckResult> {
	const name = `${connection.client_id}/${connection.service}`;
	if (connection.status === 'needs_reauth')
		return {
			name,
			status: 'FAILED',
			detail: `needs re-authorisation (${connection.last_error ?? 'no reason recorded'})`,
		};
	if (connection.status === 'disabled') return { name, status: 'SKIPPED', detail: 'disabled' };
	try {
		if (service.test_url) return { name, ...(await callTestUrl(deps, connection, service)) };
		if (isRenewable(connection)) {
			const result = await deps.refresher.refresh(
				connection.client_id,
				connection.service,
				'manual',
				deps.actor ?? CLI_ACTOR,
			);
			if (result.outcome === 'refreshed' || result.outcome === 'superseded') {
				const expires = result.connection.expires_at;
				return {
					name,
					status: 'OK',
					detail: `refreshed${expires ? `, expires ${expires.toISOString()}` : ''}`,
				};
			}
			if (result.outcome === 'needs_reauth')
				return {
					name,
					status: 'FAILED',
					detail: `needs re-authorisation (${result.reason ?? 'refresh refused'})`,
				};
			return {
				name,
				status: 'FAILED',
				detail: `refresh ${result.outcome}${result.reason ? `: ${result.reason}` : ''}`,
			};
		}
		if (isExpired(connection))
			return {
				name,
				status: 'FAILED',
				detail: 'token expired and no refresh token: the client must reconnect',
			};
		return {
			name,
			status: 'NOT CHECKED',
			detail: `${connection.type}: no test_url on service '${service.name}'`,
		};
	} catch (error) {
		return {
			name,
			status: 'FAILED',
			detail: error instanceof Error ? error.message : String(error),
		};
	}
}
