import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { monitoringSummary } from '../../domain/monitoring.js';
import { errorResponses } from '../error-responses.js';
import { MONITORING } from '../examples.js';
import { NullableString, NullableTimestamp, Timestamp, documented } from '../schemas.js';

const Count = Type.Integer({ minimum: 0 });
const Connection = Type.Object({
	client_id: Type.String(),
	service: Type.String(),
	type: Type.String(),
	status: Type.String(),
	expires_at: NullableTimestamp,
	last_used_at: NullableTimestamp,
	last_refreshed_at: NullableTimestamp,
	refresh_failures: Count,
	last_error: NullableString,
	created_at: Timestamp,
});
const Connections = Type.Array(Connection);
const Alert = Type.Object({
	id: Type.Integer(),
	rule: Type.String(),
	title: Type.String(),
	subject: Type.String(),
	details: Type.Record(Type.String(), Type.Unknown()),
	first_seen_at: Timestamp,
	last_seen_at: Timestamp,
});

const Summary = Type.Object({
	generated_at: Timestamp,
	needs_action: Type.Boolean(),
	thresholds: Type.Object({
		expiring_within_hours: Count,
		unused_days: Count,
		token_warning_days: Count,
	}),
	counts: Type.Object({
		connections: Count,
		expired: Count,
		expiring: Count,
		refresh_errors: Count,
		unused: Count,
		needs_reauth: Count,
		tokens_expiring: Count,
		tokens_expired: Count,
		open_alerts: Count,
	}),
	connections: Type.Object({
		expired: Connections,
		expiring: Connections,
		refresh_errors: Connections,
		unused: Connections,
		needs_reauth: Connections,
	}),
	api_tokens: Type.Array(
		Type.Object({
			id: Type.String(),
			name: Type.String(),
			scope: Type.String(),
			prefix: Type.String(),
			expires_at: Timestamp,
			last_used_at: NullableTimestamp,
			expired: Type.Boolean(),
		}),
	),
	alerts: Type.Array(Alert),
});

/** GET /v1/monitoring: what `otobot-vault monitor` shows, as JSON. */
const monitoring: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.get(
		'/monitoring',
		{
			config: { scope: 'admin', action: 'monitoring.read' },
			schema: {
				tags: ['monitoring'],
				operationId: 'monitoringSummary',
				summary: 'What needs attention',
				description:
					'What `otobot-vault monitor` shows, as JSON: connections expired, expiring, failing ' +
					'to refresh, unused or needing re-authorisation, API tokens near expiry, open alerts. ' +
					'`needs_action` is true when any of them is not empty.',
				response: {
					200: documented(Summary, 'The summary', MONITORING),
					...errorResponses([]),
				},
			},
		},
		async () => monitoringSummary(fastify.db, fastify.config),
	);
};

export default monitoring;
