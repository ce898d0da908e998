import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { listAlerts } from '../../domain/alerts/list-alerts.js';
import { errorResponses } from '../error-responses.js';
import { ALERT } from '../examples.js';
import {
	NullableInteger,
	NullableString,
	NullableTimestamp,
	Timestamp,
	documented,
} from '../schemas.js';

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

/** GET /v1/alerts: the alerts the rules opened, newest first, a keyset page at a time. */
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
					'connections, critical errors), newest first; open ones unless `status` says otherwise. ' +
					'Pages by keyset: ask for the next page with `before_id` set to the answer’s ' +
					'`next_before_id` (null on the last page), with the same `status`.',
				querystring: Type.Object(
					{
						status: Type.Union(
							[Type.Literal('open'), Type.Literal('resolved'), Type.Literal('all')],
							{
								default: 'open',
							},
						),
						before_id: Type.Optional(
							Type.Integer({
								minimum: 1,
								// ids are bigint in the database; past this a value is no alert's id
								maximum: Number.MAX_SAFE_INTEGER,
								description: 'Alerts older than this one: the `next_before_id` of the page before',
							}),
						),
						limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
					},
					{ additionalProperties: false },
				),
				response: {
					200: documented(
						Type.Object({ alerts: Type.Array(Alert), next_before_id: NullableInteger }),
						'One page of alerts',
						{ alerts: [ALERT], next_before_id: null },
					),
					...errorResponses([]),
				},
			},
		},
		async (request) =>
			listAlerts(fastify.db, fastify.config.alerts, {
				status: request.query.status,
				limit: request.query.limit,
				beforeId: request.query.before_id,
			}),
	);
};

export default alerts;
