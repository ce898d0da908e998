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
	documented,
} from '../schemas.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { CONNECTION, STORE_CONNECTION } from '../examples.js';

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
			config: { scope: 'admin', action: 'connection.store', writes: true },
			schema: {
				tags: ['connections'],
				operationId: 'storeConnection',
				summary: "Store a client's credential for a service",
				description:
					'Creates or replaces the connection of a client to a service, encrypted at rest. The ' +
					"fields allowed depend on the service's `oauth_type`: tokens for `oauth2`, `api_key` " +
					'for `api_key`, `username` and `password` for `basic`. The answer never carries a ' +
					'secret. Usually the connect flow stores OAuth2 connections; this route imports them.',
				params: ConnectionParams,
				body: documented(
					ConnectionBody,
					'The credential and what is known of it',
					STORE_CONNECTION,
				),
				response: {
					200: documented(Connection, 'Replaced: the connection existed', CONNECTION),
					201: documented(Connection, 'Created', CONNECTION),
					...errorResponses([
						...BODY_ERRORS,
						'CLIENT_NOT_FOUND',
						'SERVICE_NOT_FOUND',
						'CREDENTIAL_NOT_ALLOWED',
					]),
				},
			},
		},
		async (request, reply) => {
			const { client_id: clientId, service } = request.params;
			const result = await storeConnection(
				request.db,
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
				operationId: 'listConnections',
				summary: "List a client's connections",
				description:
					'Every connection of the client, with its state (status, expiry, refresh failures) ' +
					'and never its secrets.',
				params: ClientParams,
				response: {
					200: documented(
						Type.Object({ client_id: Type.String(), connections: Type.Array(Connection) }),
						"The client's connections",
						{ client_id: 'acme', connections: [CONNECTION] },
					),
					...errorResponses(['CLIENT_NOT_FOUND']),
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
				operationId: 'getConnection',
				summary: 'Get a connection',
				description: 'The state of one connection (status, expiry, refreshes), never its secrets.',
				params: ConnectionParams,
				response: {
					200: documented(Connection, 'The connection', CONNECTION),
					...errorResponses(['CLIENT_NOT_FOUND', 'CONNECTION_NOT_FOUND']),
				},
			},
		},
		async (request) => getConnection(fastify.db, request.params.client_id, request.params.service),
	);

	fastify.delete(
		'/clients/:client_id/connections/:service',
		{
			config: { scope: 'admin', action: 'connection.delete', writes: true },
			schema: {
				tags: ['connections'],
				operationId: 'deleteConnection',
				summary: 'Delete a connection',
				description:
					'Deletes the stored credential of the client for this service. The provider grant is ' +
					'not revoked: revoke it at the provider too if it should end.',
				params: ConnectionParams,
				response: {
					204: documented(Type.Null(), 'Deleted'),
					...errorResponses([...BODY_ERRORS, 'CLIENT_NOT_FOUND', 'CONNECTION_NOT_FOUND']),
				},
			},
		},
		async (request, reply) => {
			await deleteConnection(request.db, request.params.client_id, request.params.service);
			return reply.code(204).send(null);
		},
	);
};

export default connections;
