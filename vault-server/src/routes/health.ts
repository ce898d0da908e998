import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { errorResponses } from './error-responses.js';
import { HEALTHY } from './examples.js';
import { documented } from './schemas.js';
import type { FastifyInstance } from 'fastify';

const Health = Type.Object({
	status: Type.Union([Type.Literal('ok'), Type.Literal('busy'), Type.Literal('unavailable')], {
		description:
			'`busy`: every pooled database connection is taken, but the database answers a ' +
			'connection of its own; requests may wait or answer 503 meanwhile',
	}),
	database: Type.Union([Type.Literal('ok'), Type.Literal('unreachable')]),
	limits: Type.Union([Type.Literal('shared'), Type.Literal('per_process')], {
		description:
			'`shared`: the rate limit and the failed-authentication guard count in Redis, for every ' +
			'process together; `per_process`: each process counts alone (no REDIS_URL, or Redis does ' +
			'not answer; the vault serves on)',
	}),
	version: Type.String(),
});

const DATABASE_PING_TIMEOUT_MS = 2000;

/** Resolves true when `probe` succeeds within the ping timeout, false when it fails or is late. */
const answersInTime = (probe: Promise<void>) =>
	Promise.race([
		probe.then(
			() => true,
			() => false,
		),
		new Promise<boolean>((resolve) => setTimeout(resolve, DATABASE_PING_TIMEOUT_MS, false).unref()),
	]);

/** The database answers on a connection of its own (closed afterwards), outside the pool. */
async function answersOutsidePool(db: FastifyInstance['db']): Promise<boolean> {
	const own = db.withOwnConnection();
	try {
		return await answersInTime(own.ping());
	} finally {
		void own.close().catch(() => {});
	}
}

/**
 * Liveness and readiness for load balancers and compose. 503 only when the database does not
 * answer a connection of its own: a pool whose connections are all taken is `busy` (200), so a
 * burst of slow work does not make a load balancer take the vault out.
 */
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
					200: documented(
						Health,
						'The vault and its database answer (`status: busy` when the pool is full)',
						HEALTHY,
					),
					503: documented(
						Health,
						'The database does not answer within 2 s, even outside the pool',
						{
							...HEALTHY,
							status: 'unavailable',
							database: 'unreachable',
						},
					),
					...errorResponses(['RATE_LIMITED'], { public: true }),
				},
			},
		},
		async (_request, reply) => {
			const pooled = await answersInTime(fastify.db.ping());
			const reachable = pooled || (await answersOutsidePool(fastify.db));
			return reply.code(reachable ? 200 : 503).send({
				status: pooled ? 'ok' : reachable ? 'busy' : 'unavailable',
				database: reachable ? 'ok' : 'unreachable',
				limits: fastify.sharedLimits.mode,
				version,
			});
		},
	);
};

export default health;
