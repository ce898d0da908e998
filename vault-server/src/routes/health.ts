import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

const Health = Type.Object({
	status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
	database: Type.Union([Type.Literal('ok'), Type.Literal('unreachable')]),
	version: Type.String(),
});

const DATABASE_PING_TIMEOUT_MS = 2000;

/** Liveness and readiness for load balancers and compose: 503 when the database does not answer. */
const health: FastifyPluginAsyncTypebox<{ version: string }> = async (fastify, { version }) => {
	fastify.get(
		'/health',
		{
			schema: {
				tags: ['health'],
				security: [],
				response: { 200: Health, 503: Health },
			},
		},
		async (_request, reply) => {
			const reachable = await Promise.race([
				fastify.db.ping().then(
					() => true,
					() => false,
				),
				new Promise<boolean>((resolve) =>
					setTimeout(resolve, DATABASE_PING_TIMEOUT_MS, false).unref(),
				),
			]);
			return reply.code(reachable ? 200 : 503).send({
				status: reachable ? 'ok' : 'unavailable',
				database: reachable ? 'ok' : 'unreachable',
				version,
			});
		},
	);
};

export default health;
