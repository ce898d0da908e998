import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { VaultError } from '../../errors.js';
import type { SharedCounters } from '../../limits/shared-counters.js';

declare module 'fastify' {
	interface FastifyInstance {
		/**
		 * Charges `units` more requests to the request's budget (its token's, as the limit counts),
		 * for a route that does the work of several requests: the batch fetch.
		 */
		chargeRateLimit(request: FastifyRequest, units: number): Promise<void>;
	}
}

const budgetOf = (request: FastifyRequest) =>
	request.actor ? `token:${request.actor.id}` : `ip:${request.ip}`;

/**
 * @fastify/rate-limit's store interface on the shared counters: one unit per request, counted in
 * Redis when it answers (so every process spends one budget), in this process's memory otherwise.
 */
function sharedStore(counters: SharedCounters) {
	return class SharedStore {
		incr(
			key: string,
			callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
			timeWindow: number,
		): void {
			counters.add(`rate:${key}`, 1, timeWindow).then(
				(count) => callback(null, { current: count.current, ttl: count.ttlMs }),
				(error: Error) => callback(error),
			);
		}

		child(): SharedStore {
			return this;
		}
	};
}

/**
 * Requests per window, counted per API token once authenticated and per IP otherwise. Runs after
 * authentication (its onRequest hook is the route's, after the app's) so a token's budget is its
 * own and covers its refused requests too; failed authentications are limited separately, per
 * IP, by the auth plugin. Both count on `fastify.sharedLimits`.
 */
export default fp(
	async (fastify, options: { max: number; windowMs: number }) => {
		await fastify.register(rateLimit, {
			global: true,
			hook: 'onRequest',
			max: options.max,
			timeWindow: options.windowMs,
			store: sharedStore(fastify.sharedLimits),
			keyGenerator: budgetOf,
			errorResponseBuilder: (_request, context) =>
				new VaultError('RATE_LIMITED', `Rate limit exceeded, retry in ${context.after}`),
		});
		// the units land on the same counter as the requests, in one step (INCRBY with Redis)
		fastify.decorate('chargeRateLimit', async (request: FastifyRequest, units: number) => {
			if (units > 0)
				await fastify.sharedLimits.add(`rate:${budgetOf(request)}`, units, options.windowMs);
		});
	},
	{ name: 'rate-limit', dependencies: ['auth', 'shared-limits'] },
);
