import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { createConnectLink, MAX_LINK_MINUTES } from '../../domain/connect-links.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { CONNECT_LINK } from '../examples.js';
import { ClientId, ServiceName, Timestamp, documented } from '../schemas.js';
import { connectLinkUrl } from '../public-urls.js';

const ConnectLink = Type.Object({ url: Type.String(), expires_at: Timestamp });

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
};

export default connectLinks;
