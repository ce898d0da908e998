import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { searchAudit } from '../../domain/audit-search.js';
import { ClientId, NullableString, ServiceName, errorResponses } from '../schemas.js';

const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);
const AuditRow = Type.Object({
	id: Type.Integer(),
	occurred_at: Type.String(),
	request_id: NullableString,
	actor_id: NullableString,
	actor_name: NullableString,
	action: Type.String(),
	client_id: NullableString,
	service: NullableString,
	status_code: NullableInteger,
	error_code: NullableString,
	ip: NullableString,
	user_agent: NullableString,
	duration_ms: Type.Union([Type.Number(), Type.Null()]),
	workflow_id: NullableString,
	execution_id: NullableString,
	details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
	hash: Type.String(),
});

const audit: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.get(
		'/audit',
		{
			config: { scope: 'admin', action: 'audit.read' },
			schema: {
				tags: ['audit'],
				querystring: Type.Object(
					{
						client_id: Type.Optional(ClientId),
						service: Type.Optional(ServiceName),
						since: Type.Optional(Type.String({ format: 'date-time' })),
						limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
					},
					{ additionalProperties: false },
				),
				response: { 200: Type.Object({ entries: Type.Array(AuditRow) }), ...errorResponses() },
			},
		},
		async (request) => {
			const { client_id: clientId, service, since, limit } = request.query;
			// the query's own filters are the subject of this row, not a client or service it touched
			request.auditNote = { details: { client_id: clientId ?? null, service: service ?? null } };
			const entries = await searchAudit(fastify.db, {
				clientId,
				service,
				since: since ? new Date(since) : undefined,
				limit,
			});
			return { entries };
		},
	);
};

export default audit;
