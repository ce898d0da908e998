import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { VaultError } from '../../errors.js';

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
	},
	{ name: 'rate-limit', dependencies: ['auth'] },
);
