import { Redis } from 'ioredis';
import type { Secret } from '../config/secret.js';

/** How long connecting, and each command, may take before Redis counts as not answering. */
export const REDIS_CONNECT_TIMEOUT_MS = 1000;
export const REDIS_COMMAND_TIMEOUT_MS = 500;

/**
 * An ioredis client for the shared limits, from REDIS_URL (`redis://` or `rediss://` for TLS,
 * with a password in it when Redis asks for one). A request never waits on a Redis that does not
 * answer: no offline queue (a command while disconnected fails at once), one attempt per command,
 * short connect and command timeouts. It reconnects by itself, backing off up to 2 s.
 */
export function connectRedis(url: Secret): Redis {
	return new Redis(url.reveal(), {
		connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
		commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
		maxRetriesPerRequest: 0,
		enableOfflineQueue: false,
		retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
	});
}
