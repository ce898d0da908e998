import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { createConnectLink, MAX_LINK_MINUTES } from '../../domain/connect-links.js';
import { ClientId, ServiceName, Timestamp, errorResponses } from '../schemas.js';

const ConnectLink = Type.Object({ url: Type.String(), expires_at: Timestamp });

/** Connect links: what an operator sends a client so the client connects an account. */
const connectLinks: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.post(
		'/connect-links',
		{
			config: { scope: 'admin', action: 'connect_link.create' },
			schema: {
				tags: ['connect'],
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
					{ additionalProperties: false },
				),
				response: { 201: ConnectLink, ...errorResponses(404, 422) },
			},
		},
		async (request, reply) => {
			const { client_id: clientId, service } = request.body;
			request.auditNote = { clientId, service };
			const link = await createConnectLink(fastify.db, clientId, service, {
				publicUrl: fastify.config.publicUrl,
				expiresInMinutes: request.body.expires_in_minutes,
				createdBy: request.actor?.id ?? null,
				allowInsecureUrls: fastify.config.allowInsecureOAuthUrls,
			});
			return reply.code(201).send(link);
		},
	);
};

export default connectLinks;
