import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import {
	createClient,
	deleteClient,
	getClient,
	listClients,
	updateClient,
} from '../../domain/clients.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { CLIENT } from '../examples.js';
import {
	ClientId,
	ClientParams,
	DisplayName,
	ServiceName,
	Timestamp,
	documented,
} from '../schemas.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Client = Type.Object({
	id: Type.String(),
	name: Type.String(),
	email: Type.Union([Type.String(), Type.Null()]),
	created_at: Timestamp,
	updated_at: Timestamp,
});
const Name = DisplayName(200);

const clients: FastifyPluginAsyncTypebox = async (fastify) => {
	const admin = (action: string) => ({ scope: 'admin' as const, action });
	// a change: its statements and its audit row commit together (plugins/app/write-transaction.ts)
	const write = (action: string) => ({ ...admin(action), writes: true });

	fastify.post(
		'/clients',
		{
			config: write('client.create'),
			schema: {
				tags: ['clients'],
				operationId: 'createClient',
				summary: 'Create a client',
				description:
					'Adds an agency client, whose connections the vault will hold. The id is chosen by the ' +
					'caller and used in every other path; it cannot be changed later.',
				body: documented(
					Type.Object(
						{ id: ClientId, name: Name, email: Type.Optional(Type.Union([Email, Type.Null()])) },
						{ additionalProperties: false },
					),
					'The new client',
					{ id: CLIENT.id, name: CLIENT.name, email: CLIENT.email },
				),
				response: {
					201: documented(Client, 'The client, created', CLIENT),
					...errorResponses([...BODY_ERRORS, 'CLIENT_EXISTS']),
				},
			},
		},
		async (request, reply) => {
			request.auditNote = { clientId: request.body.id };
			return reply.code(201).send(await createClient(request.db, request.body));
		},
	);

	fastify.get(
		'/clients',
		{
			config: admin('client.list'),
			schema: {
				tags: ['clients'],
				operationId: 'listClients',
				summary: 'List clients',
				description:
					'The clients ordered by id, `limit` at a time. For the next page, pass the last id ' +
					'received as `after` (with the same `q`). `q` keeps the clients whose id or name ' +
					'contains it, ignoring case. `service` keeps the clients with a connection to that ' +
					'service (an unknown service: none).',
				querystring: Type.Object(
					{
						limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
						after: Type.Optional(
							Type.String({
								...ClientId,
								description: 'Only clients whose id sorts after this one',
							}),
						),
						q: Type.Optional(
							Type.String({
								minLength: 1,
								maxLength: 200,
								description: 'Only clients whose id or name contains this text (any case)',
								examples: ['acme'],
							}),
						),
						service: Type.Optional(
							Type.String({
								...ServiceName,
								description: 'Only clients with a connection to this service',
							}),
						),
					},
					{ additionalProperties: false },
				),
				response: {
					200: documented(Type.Object({ clients: Type.Array(Client) }), 'One page of clients', {
						clients: [CLIENT],
					}),
					...errorResponses([]),
				},
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
				operationId: 'getClient',
				summary: 'Get a client',
				description: 'One client by its id.',
				params: ClientParams,
				response: {
					200: documented(Client, 'The client', CLIENT),
					...errorResponses(['CLIENT_NOT_FOUND']),
				},
			},
		},
		async (request) => getClient(fastify.db, request.params.client_id),
	);

	fastify.patch(
		'/clients/:client_id',
		{
			config: write('client.update'),
			schema: {
				tags: ['clients'],
				operationId: 'updateClient',
				summary: 'Update a client',
				description:
					'Changes the name or the email of a client (at least one); `email: null` removes it.',
				params: ClientParams,
				body: documented(
					Type.Object(
						{ name: Type.Optional(Name), email: Type.Optional(Type.Union([Email, Type.Null()])) },
						{ additionalProperties: false, minProperties: 1 },
					),
					'The fields to change',
					{ name: 'Acme Corporation' },
				),
				response: {
					200: documented(Client, 'The client, changed', { ...CLIENT, name: 'Acme Corporation' }),
					...errorResponses([...BODY_ERRORS, 'CLIENT_NOT_FOUND']),
				},
			},
		},
		async (request) => updateClient(request.db, request.params.client_id, request.body),
	);

	fastify.delete(
		'/clients/:client_id',
		{
			config: write('client.delete'),
			schema: {
				tags: ['clients'],
				operationId: 'deleteClient',
				summary: 'Delete a client',
				description:
					'Deletes the client and, with it, every connection it has: the stored credentials are ' +
					'gone for good. The audit log keeps its rows.',
				params: ClientParams,
				response: {
					204: documented(Type.Null(), 'Deleted'),
					...errorResponses([...BODY_ERRORS, 'CLIENT_NOT_FOUND']),
				},
			},
		},
		async (request, reply) => {
			await deleteClient(request.db, request.params.client_id);
			return reply.code(204).send(null);
		},
	);
};

export default clients;
