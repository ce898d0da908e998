import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { errorResponses } from './error-responses.js';

/** GET /metrics: Prometheus text format, admin token required (or METRICS_PORT, unauthenticated). */
const metrics: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.get(
		'/metrics',
		{
			config: { scope: 'admin', action: 'metrics.read' },
			schema: {
				tags: ['monitoring'],
				operationId: 'metrics',
				summary: 'Prometheus metrics',
				description:
					'Counters and histograms in the Prometheus text format: requests, refreshes by outcome, ' +
					'audit writes, fetch cache. With METRICS_PORT set they are also served there, without ' +
					'a token, for a scraper on a private network.',
				response: {
					200: {
						description: 'The metrics, Prometheus text format 0.0.4',
						content: {
							'text/plain': {
								schema: Type.String(),
								example:
									'# TYPE otobot_vault_fetch_cache_listening gauge\notobot_vault_fetch_cache_listening 1\n',
							},
						},
					},
					...errorResponses([]),
				},
			},
		},
		async (_request, reply) => {
			const text = await fastify.metrics.registry.metrics();
			return reply.type(fastify.metrics.registry.contentType).send(text);
		},
	);
};

export default metrics;
