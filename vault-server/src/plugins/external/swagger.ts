import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/** The OpenAPI document at /docs/json, built from the routes' own schemas, and a UI at /docs. */
export default fp(
	async (fastify, options: { version: string }) => {
		await fastify.register(swagger, {
			openapi: {
				info: {
					title: 'Otobot Vault API',
					description: 'Encrypted credentials for n8n workflows: store, fetch, refresh, audit.',
					version: options.version,
				},
				components: {
					securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
				},
				security: [{ bearer: [] }],
			},
		});
		await fastify.register(swaggerUi, { routePrefix: '/docs' });
	},
	{ name: 'swagger' },
);
