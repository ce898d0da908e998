import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type, { type Static } from 'typebox';
import { everyAuditRow, searchAudit, type AuditFilters } from '../../domain/audit-search.js';
import { VaultError } from '../../errors.js';
import { errorResponses } from '../error-responses.js';
import { csvRecord } from '../csv.js';
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
const COLUMNS = Object.keys(AuditRow.properties) as (keyof Static<typeof AuditRow>)[];

const Time = (description: string) =>
	Type.Optional(Type.String({ format: 'date-time', description }));
const Filters = {
	client_id: Type.Optional(ClientId),
	service: Type.Optional(ServiceName),
	action: Type.Optional(
		Type.String({
			pattern: '^[a-z][a-z0-9_.]{0,63}$',
			description: 'The audited action, e.g. `credential.fetch`',
			examples: ['credential.fetch'],
		}),
	),
	outcome: Type.Optional(
		Type.Union([Type.Literal('success'), Type.Literal('failure')], {
			description:
				'`failure`: rows with a status code of 400 or more, or an error code; `success`: all others',
		}),
	),
	workflow_id: Type.Optional(
		Type.String({ minLength: 1, maxLength: 128, examples: ['wf-invoices'] }),
	),
	execution_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, examples: ['88121'] })),
	since: Time('Only rows from this time on (inclusive)'),
	until: Time('Only rows before this time (exclusive)'),
};
type FilterQuery = Static<Type.TObject<typeof Filters>>;

/** The search's filters from the query string; `since` after `until` is refused. */
function filtersOf(request: FastifyRequest, query: FilterQuery): AuditFilters {
	const since = query.since === undefined ? undefined : new Date(query.since);
	const until = query.until === undefined ? undefined : new Date(query.until);
	if (since && until && since >= until)
		throw new VaultError('VALIDATION_FAILED', 'querystring/since must be before until');
	const filters: AuditFilters = {
		clientId: query.client_id,
		service: query.service,
		action: query.action,
		outcome: query.outcome,
		workflowId: query.workflow_id,
		executionId: query.execution_id,
		since,
		until,
	};
	// the query's own filters are the subject of this row, not a client or service it touched
	request.auditNote = {
		details: Object.fromEntries(Object.entries(query).filter(([key]) => key in Filters)),
	};
	return filters;
}

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
					'checks the chain). Rows hold no secret. Filters combine (AND). Pages by keyset: ' +
					'ask for the next page with `before_id` set to the answer’s `next_before_id` (null on ' +
					'the last page). `GET /v1/audit.csv` exports every row of the same search.',
				querystring: Type.Object(
					{
						...Filters,
						before_id: Type.Optional(
							Type.Integer({
								minimum: 1,
								// ids are bigint in the database; past this a value is no row's id and would
								// overflow the parameter
								maximum: Number.MAX_SAFE_INTEGER,
								description: 'Rows older than this row: the `next_before_id` of the page before',
							}),
						),
						limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
					},
					{ additionalProperties: false },
				),
				response: {
					200: documented(
						Type.Object({
							entries: Type.Array(AuditRow),
							next_before_id: NullableInteger,
						}),
						'The rows found',
						{ entries: [AUDIT_ENTRY], next_before_id: AUDIT_ENTRY.id },
					),
					...errorResponses([]),
				},
			},
		},
		async (request) => {
			const { before_id: beforeId, limit, ...query } = request.query;
			const filters = filtersOf(request, query);
			return searchAudit(fastify.db, filters, { limit, beforeId });
		},
	);

	fastify.get(
		'/audit.csv',
		{
			config: { scope: 'admin', action: 'audit.export' },
			schema: {
				tags: ['audit'],
				operationId: 'exportAudit',
				summary: 'Export an audit search as CSV',
				description:
					'Every row of the search `GET /v1/audit` would page through (same filters), newest ' +
					'first, as CSV (RFC 4180: a header line, CRLF line ends, quoted fields), streamed. ' +
					"A text field starting with `=`, `+`, `-`, `@`, a tab or a CR is prefixed with `'` " +
					'so a spreadsheet shows it instead of running it as a formula.',
				querystring: Type.Object(Filters, { additionalProperties: false }),
				response: {
					200: {
						description: 'The rows, `text/csv` (RFC 4180), as an attachment',
						content: {
							'text/csv': {
								schema: Type.String(),
								example: `${COLUMNS.join(',')}\r\n${csvRecord(COLUMNS.map((column) => AUDIT_ENTRY[column]))}`,
							},
						},
					},
					...errorResponses([]),
				},
			},
		},
		async (request, reply) => {
			const filters = filtersOf(request, request.query);
			const db = fastify.db;
			async function* lines() {
				yield csvRecord(COLUMNS);
				for await (const row of everyAuditRow(db, filters))
					yield csvRecord(COLUMNS.map((column) => row[column]));
			}
			reply
				.type('text/csv; charset=utf-8')
				.header('content-disposition', 'attachment; filename="audit.csv"');
			// a stream: Fastify sends it as it is read, never the whole export in memory
			return Readable.from(lines()) as unknown as string;
		},
	);
};

export default audit;
