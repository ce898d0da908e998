import fp from 'fastify-plugin';
import swagger, { type SwaggerTransform, type SwaggerTransformObject } from '@fastify/swagger';

declare module 'fastify' {
	interface FastifySchema {
		/**
		 * The route also accepts the body left out (its preValidation hook sets `{}`): the OpenAPI
		 * document says the body is not required.
		 */
		'x-optional-body'?: boolean;
	}
}
import swaggerUi from '@fastify/swagger-ui';

const TAGS = [
	{ name: 'credentials', description: 'What n8n calls on every execution: a current credential.' },
	{ name: 'connections', description: "A client's stored credentials, one per service." },
	{ name: 'clients', description: 'The agency clients whose accounts the vault holds.' },
	{ name: 'services', description: 'Providers and their OAuth2 apps (the catalog rows).' },
	{ name: 'connect', description: 'Connect links and the pages a client opens to connect.' },
	{ name: 'tokens', description: 'API tokens: who may call the vault, with which scope.' },
	{
		name: 'sessions',
		description: 'The operator console signs in with an admin token and gets a session cookie.',
	},
	{ name: 'audit', description: 'The audit log: one hash-chained row per request.' },
	{ name: 'branding', description: 'The agency name, colour and logo on the pages clients see.' },
	{ name: 'monitoring', description: 'Alerts, a summary of what needs action, metrics.' },
	{
		name: 'keys',
		description: 'Data key versions, the ciphertexts each protects, rewrap progress.',
	},
	{ name: 'webhooks', description: 'Subscriptions to vault events, signed deliveries, their log.' },
	{ name: 'health', description: 'Liveness and readiness.' },
];

const WORDMARK =
	'<svg xmlns="http://www.w3.org/2000/svg" width="180" height="40" role="img" ' +
	'aria-label="Otobot Vault"><text x="0" y="28" fill="#ffffff" font-family="sans-serif" ' +
	'font-size="24" font-weight="600">Otobot Vault</text></svg>';
/** The browser tab's icon, in place of the plugin's Fastify one: an "O" in the vault's colour. */
const FAVICON =
	'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" ' +
	'rx="6" fill="#1f2937"/><circle cx="16" cy="16" r="9" fill="none" stroke="#ffffff" ' +
	'stroke-width="4"/></svg>';

type JsonObject = { properties?: Record<string, { default?: unknown }>; required?: string[] };

/**
 * A query field with a default may be left out: Ajv fills it in before `required` is checked
 * (useDefaults, app.ts), so the handler's type stays non-optional while the document says what a
 * caller may send (OpenAPI 3.0 §4.7.12: `required` means the caller must send it).
 */
const queryDefaultsOptional: SwaggerTransform = ({ schema, url }) => {
	const query = schema?.querystring as JsonObject | undefined;
	if (!query?.required || !query.properties) return { schema, url };
	const properties = query.properties;
	const required = query.required.filter((name) => properties[name]?.default === undefined);
	return { schema: { ...schema, querystring: { ...query, required } }, url };
};

type Operation = { 'x-optional-body'?: boolean; requestBody?: { required?: boolean } };

/**
 * A body a route may leave out (its schema says `'x-optional-body': true`, which the plugin copies
 * into the operation) is not `required` (OpenAPI 3.0 §4.7.13), though the plugin says so of every
 * body.
 */
const optionalBodies: SwaggerTransformObject = (documentObject) => {
	if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
	const document = documentObject.openapiObject;
	for (const path of Object.values(document.paths ?? {}))
		for (const operation of Object.values(path ?? {}) as Operation[]) {
			if (operation?.['x-optional-body'] && operation.requestBody)
				operation.requestBody.required = false;
		}
	return document;
};

/**
 * The OpenAPI 3.0 document at /docs/json, built from the routes' own schemas (summary,
 * description, each status with its error codes), and a Swagger UI at /docs under the vault's
 * name.
 */
export default fp(
	async (fastify, options: { version: string }) => {
		await fastify.register(swagger, {
			openapi: {
				info: {
					title: 'Otobot Vault API',
					description:
						'Encrypted credentials for n8n workflows: store, fetch, refresh, audit. Every error ' +
						'answer is `{statusCode, code, message}`; `code` is stable, each operation lists its own.',
					version: options.version,
					license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
				},
				// relative: the vault that served the document, whatever address the caller used
				servers: [{ url: '/', description: 'This vault' }],
				tags: TAGS,
				components: {
					securitySchemes: {
						bearer: {
							type: 'http',
							scheme: 'bearer',
							description: 'An API token: admin, or read (optionally limited to some clients).',
						},
					},
				},
				security: [{ bearer: [] }],
			},
			transform: queryDefaultsOptional,
			transformObject: optionalBodies,
		});
		await fastify.register(swaggerUi, {
			routePrefix: '/docs',
			// the plugin's policy (its scripts' hashes) minus framing by anyone and minus the upgrade
			// to https, which would break /docs on a plain-http vault on localhost
			staticCSP: true,
			transformStaticCSP: (policy) =>
				policy
					.replace("frame-ancestors 'self'", "frame-ancestors 'none'")
					.replace(/\s*upgrade-insecure-requests;?/, ''),
			// the vault's name in the top bar, where the plugin puts Fastify's logo by default
			logo: { type: 'image/svg+xml', content: WORDMARK, href: '/docs' },
			theme: {
				title: 'Otobot Vault API',
				favicon: [
					{
						filename: 'favicon.svg',
						rel: 'icon',
						sizes: 'any',
						type: 'image/svg+xml',
						content: Buffer.from(FAVICON),
					},
				],
			},
		});
	},
	{ name: 'swagger' },
);
