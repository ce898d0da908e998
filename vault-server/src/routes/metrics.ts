import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { errorResponses } from './schemas.js';

/** GET /metrics: Prometheus text format, admin token required (or METRICS_PORT, unauthenticated). */
const metrics: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.get(
		'/metrics',
		{
			config: { scope: 'admin', action: 'metrics.read' },
			schema: {
				tags: ['monitoring'],
				produces: ['text/plain'],
				response: { 200: Type.String(), ...errorResponses() },
			},
		},
		async (_request, reply) => {
			const text = await fastify.metrics.registry.metrics();
			return reply.type(fastify.metrics.registry.contentType).send(text);
		},
	);
};

export default metrics;
