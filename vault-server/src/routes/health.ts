import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { errorResponses } from './error-responses.js';
import { HEALTHY } from './examples.js';
import { documented } from './schemas.js';

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
				operationId: 'health',
				summary: 'Liveness and readiness',
				description:
					'Whether the vault and its database answer, for load balancers and orchestrators. No ' +
					'token needed; the answer holds nothing but the version.',
				security: [],
				response: {
					200: documented(Health, 'The vault and its database answer', HEALTHY),
					503: documented(Health, 'The database does not answer within 2 s', {
						...HEALTHY,
						status: 'unavailable',
						database: 'unreachable',
					}),
					...errorResponses(['RATE_LIMITED'], { public: true }),
				},
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
