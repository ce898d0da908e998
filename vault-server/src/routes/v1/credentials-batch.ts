import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { VaultError } from '../../errors.js';
import { FetchLookups } from '../../domain/fetch-lookups.js';
import { MAX_BATCH_PAIRS, fetchCredentialBatch } from '../../domain/credential-batch.js';
import { ClientId, ServiceName, documented } from '../schemas.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { CREDENTIAL_BATCH, CREDENTIAL_BATCH_REQUEST } from '../examples.js';
import { Credential } from './credentials.js';

// the single fetch's audit headers: kept in each pair's audit row
const auditHeaders = Type.Object({
	'x-n8n-workflow-id': Type.Optional(
		Type.String({
			maxLength: 128,
			description: 'Kept in the audit rows',
			examples: ['wf-invoices'],
		}),
	),
	'x-n8n-execution-id': Type.Optional(
		Type.String({ maxLength: 128, description: 'Kept in the audit rows', examples: ['88121'] }),
	),
});

const Pair = Type.Object(
	{ client_id: ClientId, service: ServiceName },
	{ additionalProperties: false },
);

const ItemError = Type.Object(
	{
		statusCode: Type.Integer(),
		code: Type.String({ description: 'The code the single fetch answers for this pair' }),
		message: Type.String(),
	},
	{ additionalProperties: Type.String({ description: 'e.g. reconnect_hint' }) },
);

const Item = Type.Object({
	client_id: Type.String(),
	service: Type.String(),
	status: Type.Integer({ description: 'The HTTP status the single fetch would answer' }),
	credential: Type.Optional(Credential),
	error: Type.Optional(ItemError),
});

/** The read of many credentials in one request: what n8n sends for an execution's items. */
const credentialsBatch: FastifyPluginAsyncTypebox = async (fastify) => {
	const deps = {
		lookups: new FetchLookups(fastify.db, fastify.fetchCache),
		refresher: fastify.refresher,
		keyring: fastify.keyring,
	};

	fastify.post(
		'/credentials/batch',
		{
			config: { scope: 'read', action: 'credential.batch' },
			schema: {
				tags: ['credentials'],
				operationId: 'fetchCredentialBatch',
				summary: 'Fetch the credentials of many clients at once',
				description:
					`Up to ${MAX_BATCH_PAIRS} \`{client_id, service}\` pairs, answered in order, each as ` +
					'the single fetch answers it: its credential (`status` 200) or its error (`status` and ' +
					'`error` with the same code and message). A due OAuth2 token is refreshed once however ' +
					'many pairs name its connection. Each pair writes its own `credential.fetch` audit row ' +
					'(with the workflow and execution ids) before the answer leaves, and counts as one ' +
					"request against the token's rate limit: a batch is let in when the budget has room " +
					'for one request, like a single fetch, and then charged one unit per pair, so it may ' +
					'overdraw the window; the requests after it get 429 with Retry-After until the window ' +
					'ends. A token limited to some clients gets FORBIDDEN on the pairs of other clients.',
				headers: auditHeaders,
				body: documented(
					Type.Object(
						{ pairs: Type.Array(Pair, { minItems: 1, maxItems: MAX_BATCH_PAIRS }) },
						{ additionalProperties: false },
					),
					'The pairs to fetch; repeats are answered once each',
					CREDENTIAL_BATCH_REQUEST,
				),
				response: {
					200: documented(
						Type.Object({ results: Type.Array(Item) }),
						'One result per pair, in the order asked',
						CREDENTIAL_BATCH,
					),
					...errorResponses(BODY_ERRORS),
				},
			},
		},
		async (request, reply) => {
			const { pairs } = request.body;
			await fastify.chargeRateLimit(request, pairs.length - 1);
			const results = await fetchCredentialBatch(deps, pairs, request.actor);
			const base = fastify.auditEntryOf(request, reply);
			const usedTokenId = request.actor?.source === 'database' ? request.actor.id : undefined;
			const rows = results.map((item) => {
				if (item.status >= 500) request.log.error({ code: item.error?.code }, 'batch pair failed');
				fastify.metrics.credentialFetches.inc({ outcome: item.error?.code ?? 'ok' });
				return fastify.audit.record({
					entry: {
						...base,
						action: 'credential.fetch',
						client_id: item.client_id,
						service: item.service,
						status_code: item.status,
						error_code: item.error?.code ?? null,
						details: { batch: true },
					},
					usedConnection:
						item.status === 200 ? { clientId: item.client_id, service: item.service } : undefined,
					usedTokenId,
				});
			});
			try {
				await Promise.all(rows);
			} catch {
				throw new VaultError(
					'AUDIT_UNAVAILABLE',
					'The audit log could not be written, so the response was withheld',
				);
			}
			request.auditNote = {
				details: {
					pairs: pairs.length,
					failed: results.filter((item) => item.status !== 200).length,
				},
			};
			return { results };
		},
	);
};

export default credentialsBatch;
