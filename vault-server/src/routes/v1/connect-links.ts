import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { createConnectLink, MAX_LINK_MINUTES } from '../../domain/connect-links.js';
import { listConnectLinks, revokeConnectLink } from '../../domain/connect-link-admin.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { CONNECT_LINK, CONNECT_LINK_INFO } from '../examples.js';
import {
	ClientId,
	NullableString,
	NullableTimestamp,
	ServiceName,
	Timestamp,
	documented,
} from '../schemas.js';
import { connectLinkUrl } from '../public-urls.js';

const ConnectLink = Type.Object({ url: Type.String(), expires_at: Timestamp });
const LinkStatus = Type.Union(
	[Type.Literal('open'), Type.Literal('used'), Type.Literal('expired'), Type.Literal('revoked')],
	{ description: 'open: can still connect an account; used, expired or revoked: cannot' },
);
const LinkInfo = Type.Object({
	id: Type.String({ format: 'uuid' }),
	client_id: Type.String(),
	service: Type.String(),
	status: LinkStatus,
	created_by: Type.Union([Type.String(), Type.Null()], {
		description: 'The id of the API token that created it, or `cli`',
	}),
	created_at: Timestamp,
	expires_at: Timestamp,
	used_at: NullableTimestamp,
	revoked_at: NullableTimestamp,
	revoked_reason: Type.Union([Type.String(), Type.Null()], {
		description: '`revoked` (an admin), `connection_deleted` or `connection_stored`',
	}),
});

/** Connect links: what an operator sends a client so the client connects an account. */
const connectLinks: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.post(
		'/connect-links',
		{
			config: { scope: 'admin', action: 'connect_link.create', writes: true },
			schema: {
				tags: ['connect'],
				operationId: 'createConnectLink',
				summary: 'Create a connect link',
				description:
					'A link to send to a client: opening it signs the client in at the provider and ' +
					'stores the connection, without the agency ever seeing the password. The link works ' +
					'once, until it expires; the vault keeps only its hash.',
				body: Type.Object(
					{
						client_id: ClientId,
						service: ServiceName,
						expires_in_minutes: Type.Optional(
							Type.Integer({
								minimum: 1,
								maximum: MAX_LINK_MINUTES,
								description: 'Default 7 days, at most 30',
							}),
						),
					},
					{
						additionalProperties: false,
						description: 'Who connects what',
						examples: [{ client_id: 'acme', service: 'google', expires_in_minutes: 1440 }],
					},
				),
				response: {
					201: documented(ConnectLink, 'The link, created: `url` is shown this once', CONNECT_LINK),
					...errorResponses([
						...BODY_ERRORS,
						'CLIENT_NOT_FOUND',
						'SERVICE_NOT_FOUND',
						'SERVICE_NOT_CONNECTABLE',
					]),
				},
			},
		},
		async (request, reply) => {
			const { client_id: clientId, service } = request.body;
			request.auditNote = { clientId, service };
			const link = await createConnectLink(request.db, clientId, service, {
				expiresInMinutes: request.body.expires_in_minutes,
				createdBy: request.actor?.id ?? null,
				allowInsecureUrls: fastify.config.allowInsecureOAuthUrls,
			});
			return reply.code(201).send({
				url: connectLinkUrl(fastify.config.publicUrl, link.token),
				expires_at: link.expires_at,
			});
		},
	);

	fastify.get(
		'/connect-links',
		{
			config: { scope: 'admin', action: 'connect_link.list' },
			schema: {
				tags: ['connect'],
				operationId: 'listConnectLinks',
				summary: 'List connect links',
				description:
					'Connect links newest first, never their token (the vault keeps only its hash). ' +
					'`status`: `open` (can still connect an account), `used`, `expired` or `revoked`. ' +
					"Pass the answer's `next_after` as `after` for the next page.",
				querystring: Type.Object(
					{
						client_id: Type.Optional(ClientId),
						service: Type.Optional(ServiceName),
						status: Type.Optional(LinkStatus),
						after: Type.Optional(
							Type.String({ format: 'uuid', description: 'The last link id of the page before' }),
						),
						limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
					},
					{ additionalProperties: false },
				),
				response: {
					200: documented(
						Type.Object({ links: Type.Array(LinkInfo), next_after: NullableString }),
						'The links found',
						{ links: [CONNECT_LINK_INFO], next_after: null },
					),
					...errorResponses([]),
				},
			},
		},
		async (request) => {
			const { client_id: clientId, service, status, after, limit } = request.query;
			request.auditNote = { details: { client_id: clientId ?? null, service: service ?? null } };
			return listConnectLinks(fastify.db, { clientId, service, status, after, limit });
		},
	);

	fastify.delete(
		'/connect-links/:id',
		{
			config: { scope: 'admin', action: 'connect_link.revoke' },
			schema: {
				tags: ['connect'],
				operationId: 'revokeConnectLink',
				summary: 'Revoke a connect link',
				description:
					'The link stops working at once: opening it shows "Link revoked" and starts no ' +
					'sign-in, and a sign-in already under way through it stores nothing. Revoking a ' +
					'revoked link changes nothing; a used link stays `used`. The answer is the link as it ' +
					'now is. Open links are also revoked when their connection is deleted or stored anew.',
				params: Type.Object(
					{ id: Type.String({ format: 'uuid' }) },
					{ additionalProperties: false },
				),
				response: {
					200: documented(LinkInfo, 'The link, as it now is', CONNECT_LINK_INFO),
					...errorResponses([...BODY_ERRORS, 'CONNECT_LINK_NOT_FOUND']),
				},
			},
		},
		async (request) => {
			const link = await revokeConnectLink(fastify.db, request.params.id);
			request.auditNote = {
				clientId: link.client_id,
				service: link.service,
				details: { link_id: link.id, status: link.status },
			};
			return link;
		},
	);
};

export default connectLinks;
