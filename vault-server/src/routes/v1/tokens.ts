import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { issueApiToken, listApiTokens, revokeApiToken } from '../../domain/token-admin.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { NEW_TOKEN, TOKEN_INFO } from '../examples.js';
import { ClientId, DisplayName, NullableTimestamp, Timestamp, documented } from '../schemas.js';

const Scope = Type.Union([Type.Literal('admin'), Type.Literal('read')]);
const TokenInfo = Type.Object({
	id: Type.String(),
	name: Type.String(),
	scope: Type.String(),
	prefix: Type.String(),
	clients: Type.Union([Type.Array(Type.String()), Type.Null()]),
	expires_at: NullableTimestamp,
	revoked_at: NullableTimestamp,
	last_used_at: NullableTimestamp,
	created_at: Timestamp,
});

const UUID = Type.String({ format: 'uuid' });

const tokens: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.post(
		'/tokens',
		{
			config: { scope: 'admin', action: 'token.create', writes: true },
			schema: {
				tags: ['tokens'],
				operationId: 'createApiToken',
				summary: 'Create an API token',
				description:
					'A new bearer token: `admin` may do everything, `read` may list connections and fetch ' +
					'credentials, optionally of the listed clients only. The token is answered once; the ' +
					'vault keeps only its hash.',
				body: documented(
					Type.Object(
						{
							name: DisplayName(200),
							scope: Scope,
							expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
							clients: Type.Optional(
								Type.Array(ClientId, {
									minItems: 1,
									maxItems: 1000,
									uniqueItems: true,
									description: 'Limit a read token to these clients',
								}),
							),
						},
						{ additionalProperties: false },
					),
					'The new token',
					NEW_TOKEN,
				),
				response: {
					201: documented(
						Type.Object({ ...TokenInfo.properties, token: Type.String() }),
						'The token, created: `token` is shown this once',
						{ ...TOKEN_INFO, token: 'ovt_example-token-shown-once' },
					),
					...errorResponses(BODY_ERRORS),
				},
			},
		},
		async (request, reply) => {
			const { name, scope, clients } = request.body;
			const created = await issueApiToken(request.db, {
				name,
				scope,
				clients,
				expiresInDays: request.body.expires_in_days,
			});
			request.auditNote = { details: { token_id: created.id, scope } };
			return reply.code(201).send(created);
		},
	);

	fastify.get(
		'/tokens',
		{
			config: { scope: 'admin', action: 'token.list' },
			schema: {
				tags: ['tokens'],
				operationId: 'listApiTokens',
				summary: 'List API tokens',
				description:
					'The tokens stored in the vault (not those of ADMIN_API_TOKEN or INTERNAL_API_TOKEN), ' +
					'revoked ones included, with the first characters of each for recognition.',
				response: {
					200: documented(Type.Object({ tokens: Type.Array(TokenInfo) }), 'The tokens', {
						tokens: [TOKEN_INFO],
					}),
					...errorResponses([]),
				},
			},
		},
		async () => ({ tokens: await listApiTokens(fastify.db) }),
	);

	fastify.delete(
		'/tokens/:id',
		{
			config: { scope: 'admin', action: 'token.revoke', writes: true },
			schema: {
				tags: ['tokens'],
				operationId: 'revokeApiToken',
				summary: 'Revoke an API token',
				description: 'The token stops working at once, in every vault process.',
				params: Type.Object({ id: UUID }, { additionalProperties: false }),
				response: {
					204: documented(Type.Null(), 'Revoked'),
					...errorResponses([...BODY_ERRORS, 'TOKEN_NOT_FOUND']),
				},
			},
		},
		async (request, reply) => {
			const row = await revokeApiToken(request.db, request.params.id);
			fastify.tokens.invalidate();
			request.auditNote = { details: { token_id: row.id } };
			return reply.code(204).send(null);
		},
	);
};

export default tokens;
