import fp from 'fastify-plugin';
import type { Secret } from '../../config/secret.js';
import { connectRedis } from '../../limits/redis-connection.js';
import { SharedCounters } from '../../limits/shared-counters.js';

declare module 'fastify' {
	interface FastifyInstance {
		/** The rate limit's and the failure guard's counters: in Redis, or per process. */
		sharedLimits: SharedCounters;
	}
}

export interface SharedLimitsOptions {
	/** REDIS_URL; unset: limits are per process. */
	redisUrl: Secret | undefined;
	/** REDIS_KEY_PREFIX: where this vault's counters live, so vaults may share one Redis. */
	keyPrefix: string;
}

/**
 * The counters behind the rate limit and the failed-authentication guard. With REDIS_URL the
 * vault waits for the first connection attempt (at most the connect timeout) before serving, and
 * serves on either way: per process while Redis does not answer, shared again once it does.
 */
export default fp<SharedLimitsOptions>(
	async (fastify, options) => {
		const redis = options.redisUrl ? connectRedis(options.redisUrl) : undefined;
		const counters = new SharedCounters(redis, options.keyPrefix, fastify.log);
		fastify.decorate('sharedLimits', counters);
		await counters.settled();
		fastify.addHook('onClose', async () => counters.close());
	},
	{ name: 'shared-limits' },
);
