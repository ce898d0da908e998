import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config.js';
import type { Keyring } from '../../crypto/keyring.js';
import type { Database } from '../../storage/database.js';
import type { AuditWriter } from '../audit-writer.js';
import { ConnectionRefresher, type RefreshTrigger } from './connection-refresher.js';
import type { RefreshOutcome } from './refresh-connection.js';
import { DEFAULT_LOOP, type RefreshLoopOptions } from './refresh-loop.js';

export type RefresherSettings = Pick<
	Config,
	'refresher' | 'allowInsecureOAuthUrls' | 'providerPrivateAddresses'
>;

export interface RefresherWiring {
	db: Database;
	keyring: Keyring;
	audit: AuditWriter;
	log: FastifyBaseLogger;
	onOutcome?: (trigger: RefreshTrigger, outcome: RefreshOutcome) => void;
	onSettled?: (clientId: string, service: string) => void;
}

/**
 * The ConnectionRefresher the configuration describes: REFRESH_SKEW_SECONDS (seconds before
 * expiry a fetch refreshes), the token endpoint timeout in milliseconds, REFRESH_CONCURRENCY and
 * REFRESH_QUEUE_LIMIT (provider calls callers wait on), MANUAL_REFRESH_INTERVAL_SECONDS and
 * ALLOW_INSECURE_OAUTH_URLS and PROVIDER_PRIVATE_ADDRESSES. The one place `serve`, `refresher`, `test-connections` and the
 * benchmark build it, so they cannot drift apart.
 */
export function refresherFromConfig(
	settings: RefresherSettings,
	wiring: RefresherWiring,
): ConnectionRefresher {
	return new ConnectionRefresher({
		...wiring,
		skewSeconds: settings.refresher.skewSeconds,
		timeoutMs: settings.refresher.timeoutMs,
		callerConcurrency: settings.refresher.callerConcurrency,
		callerQueueLimit: settings.refresher.callerQueueLimit,
		manualIntervalMs: settings.refresher.manualIntervalMs,
		allowInsecure: settings.allowInsecureOAuthUrls,
		privateAddresses: settings.providerPrivateAddresses,
	});
}

/** The background loop's pass interval (ms) and concurrency from the configuration. */
export function refreshLoopFromConfig(settings: RefresherSettings): RefreshLoopOptions {
	return {
		...DEFAULT_LOOP,
		intervalMs: settings.refresher.intervalMs,
		concurrency: settings.refresher.concurrency,
	};
}
