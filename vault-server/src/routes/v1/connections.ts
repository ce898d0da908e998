import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { storeConnection } from '../../domain/connections.js';
import {
	deleteConnection,
	getConnection,
	listConnections,
	publicConnection,
} from '../../domain/connection-views.js';
import {
	ClientParams,
	ConnectionParams,
	Metadata,
	NullableString,
	NullableTimestamp,
	Timestamp,
	errorResponses,
} from '../schemas.js';

const SecretString = Type.String({ minLength: 1, maxLength: 16_384 });

const ConnectionBody = Type.Object(
	{
		access_token: Type.Optional(SecretString),
		refresh_token: Type.Optional(SecretString),
		expires_at: Type.Optional(Type.String({ format: 'date-time' })),
		expires_in: Type.Optional(Type.Integer({ minimum: 0, maximum: 315_360_000 })),
		token_type: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
		scopes: Type.Optional(
			Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { maxItems: 200 }),
		),
		api_key: Type.Optional(SecretString),
		username: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
		password: Type.Optional(SecretString),
		metadata: Type.Optional(Metadata),
	},
	{ additionalProperties: false },
);

export const Connection = Type.Object({
	client_id: Type.String(),
	service: Type.String(),
	type: Type.String(),
	status: Type.String(),
	token_type: NullableString,
	scopes: Type.Array(Type.String()),
	expires_at: NullableTimestamp,
	has_refresh_token: Type.Boolean(),
	last_used_at: NullableTimestamp,
	last_refreshed_at: NullableTimestamp,
	next_refresh_at: NullableTimestamp,
	refresh_failures: Type.Integer(),
	last_error: NullableString,
	metadata: Type.Record(Type.String(), Type.Unknown()),
	created_at: Timestamp,
	updated_at: Timestamp,
});

const connections: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.put(
		'/clients/:client_id/connections/:service',
		{
			config: { scope: 'admin', action: 'connection.store' },
			schema: {
				tags: ['connections'],
				params: ConnectionParams,
				body: ConnectionBody,
				response: { 200: Connection, 201: Connection, ...errorResponses(404, 422) },
			},
		},
		async (request, reply) => {
			const { client_id: clientId, service } = request.params;
			const result = await storeConnection(
				fastify.db,
				fastify.keyring,
				clientId,
				service,
				request.body,
			);
			return reply.code(result.created ? 201 : 200).send(publicConnection(result.connection));
		},
	);

	fastify.get(
		'/clients/:client_id/connections',
		{
			config: { scope: 'read', action: 'connection.list' },
			schema: {
				tags: ['connections'],
				params: ClientParams,
				response: {
					200: Type.Object({ client_id: Type.String(), connections: Type.Array(Connection) }),
					...errorResponses(404),
				},
			},
		},
		async (request) => ({
			client_id: request.params.client_id,
			connections: await listConnections(fastify.db, request.params.client_id),
		}),
	);

	fastify.get(
		'/clients/:client_id/connections/:service',
		{
			config: { scope: 'read', action: 'connection.read' },
			schema: {
				tags: ['connections'],
				params: ConnectionParams,
				response: { 200: Connection, ...errorResponses(404) },
			},
		},
		async (request) => getConnection(fastify.db, request.params.client_id, request.params.service),
	);

	fastify.delete(
		'/clients/:client_id/connections/:service',
		{
			config: { scope: 'admin', action: 'connection.delete' },
			schema: {
				tags: ['connections'],
				params: ConnectionParams,
				response: { 204: Type.Null(), ...errorResponses(404) },
			},
		},
		async (request, reply) => {
			await deleteConnection(fastify.db, request.params.client_id, request.params.service);
			return reply.code(204).send(null);
		},
	);
};

export default connections;
