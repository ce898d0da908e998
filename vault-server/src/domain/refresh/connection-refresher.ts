import type { FastifyBaseLogger } from 'fastify';
import { VaultError } from '../../errors.js';
import type { AuditWriter } from '../audit-writer.js';
import type { Actor } from '../api-tokens.js';
import { needsReauthError } from '../connections.js';
import type { ConnectionRow } from '../../storage/connections-store.js';
import {
	refreshConnection,
	type DuePredicate,
	type RefreshDependencies,
	type RefreshResult,
} from './refresh-connection.js';
import { expiresWithin, inBackoff, isExpired, isRenewable } from './refresh-policy.js';
import { appRefused, appRefusedReason } from './refresh-failure.js';
import { servicesStore } from '../../storage/services-store.js';
import { refreshStore } from '../../storage/refresh-store.js';
import { RefreshSlots } from './refresh-slots.js';
import { storedTokenIs, unrenewable } from './refused-token.js';

export type RefreshTrigger = 'fetch' | 'background' | 'manual';

const BACKGROUND_ACTOR = { id: 'refresher', name: 'background refresher' };

/**
 * When each trigger still needs the provider, judged on the row as read again before the lease is
 * taken. A manual refresh is not needed when the connection was renewed less than
 * `manualIntervalMs` ago (by anyone, in any process): a read token cannot make the vault hammer a
 * provider.
 */
const duePredicates = (
	skewMs: number,
	manualIntervalMs: number,
): Record<RefreshTrigger, DuePredicate> => ({
	fetch: (connection, now) => expiresWithin(connection, skewMs, now),
	background: (connection, now) =>
		connection.next_refresh_at !== null && connection.next_refresh_at.getTime() <= now,
	manual: (connection, now) =>
		connection.last_refreshed_at === null ||
		connection.last_refreshed_at.getTime() <= now - manualIntervalMs,
});

/** A manual refresh's answer: `refreshed` false when the provider was not called (see above). */
export interface OnDemandResult {
	connection: ConnectionRow;
	refreshed: boolean;
	/** Compare-and-refresh only: the stored token was still the refused one when judged. */
	matched?: boolean;
}

/** A manual refresh may name the access token a caller's API refused (compare-and-refresh). */
export interface OnDemandOptions {
	/** SHA-256 of the refused access token, 64 hex digits (either case). */
	ifAccessTokenSha256?: string;
}

/**
 * The one way this process refreshes a connection. Concurrent requests for the same connection
 * share one attempt (single-flight); across processes the refresh lease in the row does the same.
 * Refreshes callers wait on (fetch, manual) take a slot of a bounded semaphore first. Every attempt
 * that calls the provider is audited.
 */
export class ConnectionRefresher {
	#inFlight = new Map<string, Promise<RefreshResult>>();
	readonly #due: Record<RefreshTrigger, DuePredicate>;
	readonly #slots: RefreshSlots;

	constructor(
		private readonly deps: RefreshDependencies & {
			audit: AuditWriter;
			log: FastifyBaseLogger;
			skewSeconds: number;
			/** Provider calls at once for fetch and manual refreshes (REFRESH_CONCURRENCY). */
			callerConcurrency: number;
			/** Callers that may wait for a slot before REFRESH_BUSY (REFRESH_QUEUE_LIMIT). */
			callerQueueLimit: number;
			/** MANUAL_REFRESH_INTERVAL_SECONDS in milliseconds. */
			manualIntervalMs: number;
			/** Told each attempt's trigger and outcome (metrics). */
			onOutcome?: (trigger: RefreshTrigger, outcome: RefreshResult['outcome']) => void;
			/** Told after each attempt, whatever came of it: the stored row may have changed. */
			onSettled?: (clientId: string, service: string) => void;
		},
	) {
		this.#due = duePredicates(deps.skewSeconds * 1000, deps.manualIntervalMs);
		this.#slots = new RefreshSlots(deps.callerConcurrency, deps.callerQueueLimit);
	}

	refresh(
		clientId: string,
		service: string,
		trigger: RefreshTrigger,
		actor?: Actor,
		refusedSha256?: string,
	): Promise<RefreshResult> {
		// one flight per connection whatever the trigger, and one per refused token: callers naming
		// the same refused token share it; the lease in the row orders flights across keys
		const key = `${clientId}/${service}${refusedSha256 ? `#${refusedSha256}` : ''}`;
		const running = this.#inFlight.get(key);
		if (running) return running;
		const isDue = refusedSha256
			? storedTokenIs(this.deps.keyring, refusedSha256)
			: this.#due[trigger];
		const run = () => this.#attempt(clientId, service, trigger, isDue, actor, !!refusedSha256);
		const attempt = (trigger === 'background' ? run() : this.#slots.run(run)).finally(() =>
			this.#inFlight.delete(key),
		);
		this.#inFlight.set(key, attempt);
		return attempt;
	}

	/**
	 * The connection a fetch should answer with: refreshed first when it expires within the skew.
	 * A still-valid token is served through provider trouble; an expired one is not.
	 */
	async freshForFetch(connection: ConnectionRow, actor: Actor | undefined): Promise<ConnectionRow> {
		const skewMs = this.deps.skewSeconds * 1000;
		if (connection.type !== 'oauth2' && connection.type !== 'oauth2_client_credentials')
			return connection;
		if (!expiresWithin(connection, skewMs)) return connection;
		if (inBackoff(connection)) return this.#servable(connection, connection.last_error);
		const result = await this.refresh(connection.client_id, connection.service, 'fetch', actor);
		if (result.outcome === 'needs_reauth')
			throw needsReauthError(connection.client_id, connection.service);
		return result.outcome === 'failed' || result.outcome === 'backoff'
			? this.#servable(result.connection, result.reason ?? null)
			: result.connection;
	}

	/**
	 * A refresh asked for by a caller (POST /v1/credentials/…/refresh): the provider is called now,
	 * whatever the expiry, unless the connection was renewed within the manual-refresh interval;
	 * then the stored (fresh) credential is returned with `refreshed: false`. With
	 * `ifAccessTokenSha256` (compare-and-refresh) the provider is called exactly when the stored
	 * access token is still the refused one, interval or not, once per refused token across
	 * callers and processes; a stored token that differs is returned with `refreshed: false` and
	 * `matched: false` (also for a connection the vault cannot renew, such as an API key). Throws
	 * CREDENTIAL_NOT_ALLOWED (422) for a connection the vault cannot renew (holding the refused
	 * token, when one is named), CONNECTION_NEEDS_REAUTH (409) when only the client can restore it,
	 * REFRESH_FAILED (503) when the provider failed and the stored token is unchanged.
	 */
	async refreshOnDemand(
		connection: ConnectionRow,
		actor: Actor | undefined,
		options: OnDemandOptions = {},
	): Promise<OnDemandResult> {
		const refused = options.ifAccessTokenSha256?.toLowerCase();
		const { client_id: clientId, service } = connection;
		if (!isRenewable(connection)) return await unrenewable(this.deps.keyring, connection, refused);
		const result = await this.refresh(clientId, service, 'manual', actor, refused);
		const compared = refused === undefined ? {} : { matched: result.outcome !== 'not_due' };
		if (result.outcome === 'needs_reauth') throw needsReauthError(clientId, service);
		if (result.outcome === 'not_due')
			return { connection: result.connection, refreshed: false, ...compared };
		if (result.outcome !== 'refreshed' && result.outcome !== 'superseded') {
			throw new VaultError(
				'REFRESH_FAILED',
				`The refresh failed${result.reason ? ` (${result.reason})` : ''}; the stored token is unchanged`,
			);
		}
		return {
			connection: result.connection,
			refreshed: result.outcome === 'refreshed',
			...compared,
		};
	}

	#servable(connection: ConnectionRow, reason: string | null): ConnectionRow {
		if (!isExpired(connection)) return connection;
		const next = connection.next_refresh_at?.getTime();
		// RFC 9110 §10.2.3: the caller may come back when the vault will try the provider again
		const waitSeconds = inBackoff(connection) && next ? Math.ceil((next - Date.now()) / 1000) : 0;
		throw new VaultError(
			'REFRESH_FAILED',
			`The token of '${connection.client_id}' for '${connection.service}' expired and could not be refreshed` +
				(reason ? ` (${reason})` : '') +
				(connection.next_refresh_at
					? `; next attempt after ${connection.next_refresh_at.toISOString()}`
					: ''),
			undefined,
			waitSeconds > 0 ? waitSeconds : undefined,
		);
	}

	async #attempt(
		clientId: string,
		service: string,
		trigger: RefreshTrigger,
		isDue: DuePredicate,
		actor: Actor | undefined,
		compare: boolean,
	): Promise<RefreshResult> {
		const started = Date.now();
		const serviceRow = await servicesStore(this.deps.db).get(service);
		if (trigger !== 'manual' && appRefused(serviceRow)) {
			// the service's problem, not the connection's: no provider call, nothing written
			const connection = await refreshStore(this.deps.db).readForRefresh(clientId, service);
			if (connection)
				return {
					outcome: 'failed',
					connection,
					reason: appRefusedReason(service, serviceRow.app_error),
				};
		}
		const result = await refreshConnection(this.deps, clientId, service, isDue).finally(() =>
			this.deps.onSettled?.(clientId, service),
		);
		if (result.outcome === 'refreshed' && serviceRow?.app_error)
			await servicesStore(this.deps.db).clearAppError(service);
		if (result.outcome === 'not_due') return result;
		this.deps.onOutcome?.(trigger, result.outcome);
		const who = actor ?? BACKGROUND_ACTOR;
		// a failed refresh is what an operator looks for in the log: it must not read as routine
		const succeeded = result.outcome === 'refreshed' || result.outcome === 'superseded';
		this.deps.log[succeeded ? 'info' : 'warn'](
			{ clientId, service, trigger, outcome: result.outcome, reason: result.reason },
			'connection refresh',
		);
		await this.deps.audit
			.record({
				entry: {
					occurred_at: new Date().toISOString(),
					request_id: null,
					actor_id: who.id,
					actor_name: who.name,
					action: 'connection.refresh',
					client_id: clientId,
					service,
					status_code: null,
					error_code: result.outcome === 'refreshed' ? null : result.outcome.toUpperCase(),
					ip: null,
					user_agent: null,
					duration_ms: Date.now() - started,
					workflow_id: null,
					execution_id: null,
					details: {
						trigger,
						...(compare ? { compare: true } : {}),
						outcome: result.outcome,
						...(result.reason ? { reason: result.reason } : {}),
					},
				},
			})
			.catch((error: unknown) => this.deps.log.error({ err: error }, 'audit of a refresh failed'));
		return result;
	}
}
