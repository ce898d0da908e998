import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { issueApiToken, listApiTokens, revokeApiToken } from '../../domain/token-admin.js';
import { ClientId, NullableTimestamp, Timestamp, errorResponses } from '../schemas.js';

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
			config: { scope: 'admin', action: 'token.create' },
			schema: {
				tags: ['tokens'],
				body: Type.Object(
					{
						name: Type.String({ minLength: 1, maxLength: 200 }),
						scope: Scope,
						expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
						clients: Type.Optional(
							Type.Array(ClientId, { minItems: 1, maxItems: 1000, uniqueItems: true }),
						),
					},
					{ additionalProperties: false },
				),
				response: {
					201: Type.Object({ ...TokenInfo.properties, token: Type.String() }),
					...errorResponses(),
				},
			},
		},
		async (request, reply) => {
			const { name, scope, clients } = request.body;
			const created = await issueApiToken(fastify.db, {
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
				response: { 200: Type.Object({ tokens: Type.Array(TokenInfo) }), ...errorResponses() },
			},
		},
		async () => ({ tokens: await listApiTokens(fastify.db) }),
	);

	fastify.delete(
		'/tokens/:id',
		{
			config: { scope: 'admin', action: 'token.revoke' },
			schema: {
				tags: ['tokens'],
				params: Type.Object({ id: UUID }, { additionalProperties: false }),
				response: { 204: Type.Null(), ...errorResponses(404) },
			},
		},
		async (request, reply) => {
			const row = await revokeApiToken(fastify.db, request.params.id);
			fastify.tokens.invalidate();
			request.auditNote = { details: { token_id: row.id } };
			return reply.code(204).send(null);
		},
	);
};

export default tokens;
