import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import {
	createClient,
	deleteClient,
	getClient,
	listClients,
	updateClient,
} from '../../domain/clients.js';
import { ClientId, ClientParams, Timestamp, errorResponses } from '../schemas.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Client = Type.Object({
	id: Type.String(),
	name: Type.String(),
	email: Type.Union([Type.String(), Type.Null()]),
	created_at: Timestamp,
	updated_at: Timestamp,
});
const Name = Type.String({ minLength: 1, maxLength: 200 });

const clients: FastifyPluginAsyncTypebox = async (fastify) => {
	const admin = (action: string) => ({ scope: 'admin' as const, action });

	fastify.post(
		'/clients',
		{
			config: admin('client.create'),
			schema: {
				tags: ['clients'],
				body: Type.Object(
					{ id: ClientId, name: Name, email: Type.Optional(Type.Union([Email, Type.Null()])) },
					{ additionalProperties: false },
				),
				response: { 201: Client, ...errorResponses(409) },
			},
		},
		async (request, reply) => {
			request.auditNote = { clientId: request.body.id };
			return reply.code(201).send(await createClient(fastify.db, request.body));
		},
	);

	fastify.get(
		'/clients',
		{
			config: admin('client.list'),
			schema: {
				tags: ['clients'],
				querystring: Type.Object(
					{
						limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
						after: Type.Optional(ClientId),
					},
					{ additionalProperties: false },
				),
				response: { 200: Type.Object({ clients: Type.Array(Client) }), ...errorResponses() },
			},
		},
		async (request) => ({ clients: await listClients(fastify.db, request.query) }),
	);

	fastify.get(
		'/clients/:client_id',
		{
			config: admin('client.read'),
			schema: {
				tags: ['clients'],
				params: ClientParams,
				response: { 200: Client, ...errorResponses(404) },
			},
		},
		async (request) => getClient(fastify.db, request.params.client_id),
	);

	fastify.patch(
		'/clients/:client_id',
		{
			config: admin('client.update'),
			schema: {
				tags: ['clients'],
				params: ClientParams,
				body: Type.Object(
					{ name: Type.Optional(Name), email: Type.Optional(Type.Union([Email, Type.Null()])) },
					{ additionalProperties: false, minProperties: 1 },
				),
				response: { 200: Client, ...errorResponses(404) },
			},
		},
		async (request) => updateClient(fastify.db, request.params.client_id, request.body),
	);

	fastify.delete(
		'/clients/:client_id',
		{
			config: admin('client.delete'),
			schema: {
				tags: ['clients'],
				params: ClientParams,
				response: { 204: Type.Null(), ...errorResponses(404) },
			},
		},
		async (request, reply) => {
			await deleteClient(fastify.db, request.params.client_id);
			return reply.code(204).send(null);
		},
	);
};

export default clients;
