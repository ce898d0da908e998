import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { listAlerts } from '../../domain/alerts/list-alerts.js';
import { errorResponses } from '../error-responses.js';
import { ALERT } from '../examples.js';
import { NullableString, NullableTimestamp, Timestamp, documented } from '../schemas.js';

const Alert = Type.Object({
	id: Type.Integer(),
	rule: Type.String(),
	title: Type.String(),
	subject: Type.String(),
	client_id: NullableString,
	service: NullableString,
	status: Type.String(),
	details: Type.Record(Type.String(), Type.Unknown()),
	first_seen_at: Timestamp,
	last_seen_at: Timestamp,
	resolved_at: NullableTimestamp,
});

/** GET /v1/alerts: the alerts the rules opened, newest first. */
const alerts: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.get(
		'/alerts',
		{
			config: { scope: 'admin', action: 'alert.list' },
			schema: {
				tags: ['monitoring'],
				operationId: 'listAlerts',
				summary: 'List alerts',
				description:
					'The alerts the rules opened (expired connections, failing refreshes, unused ' +
					'connections, critical errors), newest first; open ones unless `status` says otherwise.',
				querystring: Type.Object(
					{
						status: Type.Union(
							[Type.Literal('open'), Type.Literal('resolved'), Type.Literal('all')],
							{
								default: 'open',
							},
						),
						limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
					},
					{ additionalProperties: false },
				),
				response: {
					200: documented(Type.Object({ alerts: Type.Array(Alert) }), 'The alerts', {
						alerts: [ALERT],
					}),
					...errorResponses([]),
				},
			},
		},
		async (request) => ({
			alerts: await listAlerts(
				fastify.db,
				fastify.config.alerts,
				request.query.status,
				request.query.limit,
			),
		}),
	);
};

export default alerts;
