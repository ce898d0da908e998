import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { searchAudit } from '../../domain/audit-search.js';
import { errorResponses } from '../error-responses.js';
import { AUDIT_ENTRY } from '../examples.js';
import { ClientId, NullableString, ServiceName, documented } from '../schemas.js';

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
				operationId: 'searchAudit',
				summary: 'Search the audit log',
				description:
					'Audit rows, newest first: one per API request and connect page, refusals included, ' +
					'each with the hash that chains it to the one before (`otobot-vault audit verify` ' +
					'checks the chain). Rows hold no secret.',
				querystring: Type.Object(
					{
						client_id: Type.Optional(ClientId),
						service: Type.Optional(ServiceName),
						since: Type.Optional(
							Type.String({ format: 'date-time', description: 'Only rows from this time on' }),
						),
						limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
					},
					{ additionalProperties: false },
				),
				response: {
					200: documented(Type.Object({ entries: Type.Array(AuditRow) }), 'The rows found', {
						entries: [AUDIT_ENTRY],
					}),
					...errorResponses([]),
				},
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
