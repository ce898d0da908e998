import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { VaultError } from '../../errors.js';

declare module 'fastify' {
	interface FastifyInstance {
		/**
		 * Charges `units` more requests to the request's budget (its token's, as the limit counts),
		 * for a route that does the work of several requests: the batch fetch.
		 */
		chargeRateLimit(request: FastifyRequest, units: number): Promise<void>;
	}
}

/**
 * Requests per window, counted per API token once authenticated and per IP otherwise. Runs after
 * authentication (its onRequest hook is the route's, after the app's) so a token's budget is its
 * own and covers its refused requests too; failed authentications are limited separately, per
 * IP, by the auth plugin.
 */
export default fp(
	async (fastify, options: { max: number; windowMs: number }) => {
		await fastify.register(rateLimit, {
			global: true,
			hook: 'onRequest',
			max: options.max,
			timeWindow: options.windowMs,
			keyGenerator: (request) => (request.actor ? `token:${request.actor.id}` : `ip:${request.ip}`),
			errorResponseBuilder: (_request, context) =>
				new VaultError('RATE_LIMITED', `Rate limit exceeded, retry in ${context.after}`),
		});
		// the plugin's own limiter on its own store: the units land on the same counter as requests
		const limiter = fastify.createRateLimit();
		fastify.decorate('chargeRateLimit', async (request: FastifyRequest, units: number) => {
			for (let unit = 0; unit < units; unit++) await limiter(request);
		});
	},
	{ name: 'rate-limit', dependencies: ['auth'] },
);
