import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import {
	countServiceConnections,
	createService,
	deleteService,
	getService,
	listServices,
	updateService,
	type ServiceOptions,
} from '../../domain/services.js';
import {
	DisplayName,
	NullableString,
	NullableTimestamp,
	ServiceName,
	ServiceParams,
	Timestamp,
	documented,
} from '../schemas.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { NEW_SERVICE, SERVICE } from '../examples.js';
import { oauthRedirectUri } from '../public-urls.js';

const Url = Type.String({ maxLength: 2048 });
const NullableUrl = Type.Union([Url, Type.Null()]);
/** A provider's error code (`error` or HubSpot `status`), or `AADSTS<number>` for Entra. */
const ErrorCodes = Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), {
	maxItems: 64,
	uniqueItems: true,
});
const StringMap = Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 2048 }), {
	maxProperties: 32,
});

/** Everything a service row can hold, each field optional (PATCH), bounded. */
const serviceFields = {
	display_name: DisplayName(200),
	oauth_type: Type.Union([
		Type.Literal('oauth2'),
		Type.Literal('oauth2_client_credentials'),
		Type.Literal('api_key'),
		Type.Literal('basic'),
	]),
	oauth_authorization_url: NullableUrl,
	oauth_token_url: NullableUrl,
	oauth_scopes: Type.Union([Type.String({ maxLength: 4096 }), Type.Null()]),
	oauth_client_id: Type.Union([Type.String({ maxLength: 512 }), Type.Null()]),
	oauth_client_secret: Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()]),
	token_auth_method: Type.Union([
		Type.Literal('client_secret_post'),
		Type.Literal('client_secret_basic'),
		Type.Literal('none'),
	]),
	token_request_format: Type.Union([Type.Literal('form'), Type.Literal('json')]),
	scope_separator: Type.String({ minLength: 1, maxLength: 4 }),
	authorization_params: StringMap,
	token_params: StringMap,
	pkce: Type.Boolean(),
	refresh_lead_seconds: Type.Union([Type.Integer({ minimum: 0, maximum: 86_400 }), Type.Null()]),
	keepalive_interval_minutes: Type.Union([
		Type.Integer({
			minimum: 1,
			maximum: 525_600,
			description: 'Renew at least this often, whatever the expiry (e.g. 25 for a 30-minute org)',
		}),
		Type.Null(),
	]),
	keepalive_interval_hours: Type.Union([
		Type.Integer({
			minimum: 1,
			maximum: 8760,
			description: 'The same interval in whole hours (stored as minutes); not with the minutes',
		}),
		Type.Null(),
	]),
	default_token_lifetime_seconds: Type.Union([
		Type.Integer({
			minimum: 60,
			maximum: 31_536_000,
			description:
				'How long a token lives when the answer carries no expires_in (RFC 6749 §5.1); ' +
				'null: unknown, stored with no expiry',
		}),
		Type.Null(),
	]),
	test_url: NullableUrl,
	answer_fields: Type.Array(
		Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$' }),
		{
			maxItems: 32,
			description: 'Non-secret token answer fields kept in the metadata (dotted paths)',
		},
	),
	user_token_field: Type.Union([
		Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
		Type.Null(),
	]),
	prefer_user_token: Type.Boolean(),
	accounts_servers: Type.Array(Url, {
		maxItems: 32,
		description: "Origins a callback's accounts-server may name (regional authorization servers)",
	}),
	callback_params: Type.Record(
		Type.String({ maxLength: 64 }),
		Type.String({ minLength: 1, maxLength: 256 }),
		{ maxProperties: 16, description: 'Callback parameters kept in the metadata: name -> pattern' },
	),
	reauth_error_codes: ErrorCodes,
	app_error_codes: ErrorCodes,
};

const optional = <T extends Record<string, Parameters<typeof Type.Optional>[0]>>(fields: T) =>
	Object.fromEntries(
		Object.entries(fields).map(([key, schema]) => [key, Type.Optional(schema)]),
	) as {
		[K in keyof T]: ReturnType<typeof Type.Optional<T[K]>>;
	};

const CreateService = Type.Object(
	{ name: ServiceName, ...optional(serviceFields), display_name: serviceFields.display_name },
	{ additionalProperties: false },
);
const PatchService = Type.Object(optional(serviceFields), {
	additionalProperties: false,
	minProperties: 1,
});

const Service = Type.Object({
	name: Type.String(),
	display_name: Type.String(),
	oauth_type: Type.String(),
	oauth_authorization_url: NullableString,
	oauth_token_url: NullableString,
	oauth_scopes: NullableString,
	oauth_client_id: NullableString,
	has_client_secret: Type.Boolean(),
	token_auth_method: Type.String(),
	token_request_format: Type.String(),
	scope_separator: Type.String(),
	authorization_params: Type.Record(Type.String(), Type.String()),
	token_params: Type.Record(Type.String(), Type.String()),
	pkce: Type.Boolean(),
	refresh_lead_seconds: Type.Union([Type.Integer(), Type.Null()]),
	keepalive_interval_minutes: Type.Union([Type.Integer(), Type.Null()]),
	keepalive_interval_hours: Type.Union([
		Type.Number({ description: 'keepalive_interval_minutes / 60 (may be a fraction)' }),
		Type.Null(),
	]),
	default_token_lifetime_seconds: Type.Union([Type.Integer(), Type.Null()]),
	test_url: NullableString,
	answer_fields: Type.Array(Type.String()),
	user_token_field: NullableString,
	prefer_user_token: Type.Boolean(),
	accounts_servers: Type.Array(Type.String()),
	callback_params: Type.Record(Type.String(), Type.String()),
	reauth_error_codes: Type.Array(Type.String()),
	app_error_codes: Type.Array(Type.String()),
	app_error: NullableString,
	app_error_at: NullableTimestamp,
	created_at: Timestamp,
	updated_at: Timestamp,
	oauth_redirect_uri: Type.Optional(
		Type.String({
			description:
				'The redirect URI to register with the provider for this OAuth app: ' +
				'`<PUBLIC_URL>/oauth/callback`, the same for every service (RFC 6749 §3.1.2)',
		}),
	),
	connection_count: Type.Optional(
		Type.Integer({
			description:
				'How many connections use the service (GET of one service only); ' +
				'`GET /v1/clients?service=` lists their clients',
		}),
	),
});

const services: FastifyPluginAsyncTypebox<ServiceOptions> = async (fastify, options) => {
	const admin = (action: string) => ({ scope: 'admin' as const, action });
	// a change: its statements and its audit row commit together (plugins/app/write-transaction.ts)
	const write = (action: string) => ({ ...admin(action), writes: true });
	const redirect = { oauth_redirect_uri: oauthRedirectUri(fastify.config.publicUrl) };
	const withRedirect = <T extends object>(service: T) => ({ ...service, ...redirect });

	fastify.get(
		'/services',
		{
			config: admin('service.list'),
			schema: {
				tags: ['services'],
				operationId: 'listServices',
				summary: 'List services',
				description:
					'Every service (provider) the vault knows, with its OAuth2 settings. A client secret ' +
					'is never answered: `has_client_secret` says whether one is stored.',
				response: {
					200: documented(Type.Object({ services: Type.Array(Service) }), 'The services', {
						services: [SERVICE],
					}),
					...errorResponses([]),
				},
			},
		},
		async () => ({ services: (await listServices(fastify.db)).map(withRedirect) }),
	);

	fastify.post(
		'/services',
		{
			config: write('service.create'),
			schema: {
				tags: ['services'],
				operationId: 'createService',
				summary: 'Create a service',
				description:
					'Adds a provider: its type, and for OAuth2 its endpoints and the OAuth app the vault ' +
					'uses (client id, client secret stored encrypted). Provider URLs must be https unless ' +
					'ALLOW_INSECURE_OAUTH_URLS is set; with PROVIDER_PRIVATE_ADDRESSES=refuse a token URL, ' +
					'test URL or accounts server naming a private IP address is refused (400), and host ' +
					'names are checked by what they resolve to at each call. ' +
					'Fields left out take the defaults shown. ' +
					"`reauth_error_codes` and `app_error_codes` add the provider's own token error codes " +
					'(an `error` or `status` value, or `AADSTS<number>`) meaning "the client must reconnect" ' +
					'and "the OAuth app is refused", on top of the RFC 6749 §5.2 defaults (docs/PROVIDERS.md).',
				body: documented(CreateService, 'The new service', NEW_SERVICE),
				response: {
					201: documented(Service, 'The service, created', SERVICE),
					...errorResponses([...BODY_ERRORS, 'SERVICE_EXISTS']),
				},
			},
		},
		async (request, reply) => {
			const { name, ...fields } = request.body;
			request.auditNote = { service: name };
			return reply
				.code(201)
				.send(
					withRedirect(await createService(request.db, fastify.keyring, name, fields, options)),
				);
		},
	);

	fastify.get(
		'/services/:name',
		{
			config: admin('service.read'),
			schema: {
				tags: ['services'],
				operationId: 'getService',
				summary: 'Get a service',
				description:
					'One service by its name, without its client secret, with how many connections use it.',
				params: ServiceParams,
				response: {
					200: documented(Service, 'The service', SERVICE),
					...errorResponses(['SERVICE_NOT_FOUND']),
				},
			},
		},
		async (request) => {
			request.auditNote = { service: request.params.name };
			const service = await getService(fastify.db, request.params.name);
			const connection_count = await countServiceConnections(fastify.db, request.params.name);
			return { ...withRedirect(service), connection_count };
		},
	);

	fastify.patch(
		'/services/:name',
		{
			config: write('service.update'),
			schema: {
				tags: ['services'],
				operationId: 'updateService',
				summary: 'Update a service',
				description:
					'Changes the fields given (at least one); `null` clears a nullable field. Connections ' +
					'keep working: the next refresh uses the new settings. Changing the OAuth app ' +
					'(`oauth_client_id`, `oauth_client_secret`, `oauth_token_url`, `token_auth_method`) ' +
					"clears `app_error` and ends the backoff of the service's connections.",
				params: ServiceParams,
				body: documented(PatchService, 'The fields to change', { refresh_lead_seconds: 600 }),
				response: {
					200: documented(Service, 'The service, changed', {
						...SERVICE,
						refresh_lead_seconds: 600,
					}),
					...errorResponses([...BODY_ERRORS, 'SERVICE_NOT_FOUND']),
				},
			},
		},
		async (request) => {
			request.auditNote = { service: request.params.name };
			const { service, changed } = await updateService(
				request.db,
				fastify.keyring,
				request.params.name,
				request.body,
				options,
			);
			// names only: never a value, the client secret included
			request.auditNote.details = { changed };
			return withRedirect(service);
		},
	);

	fastify.delete(
		'/services/:name',
		{
			config: write('service.delete'),
			schema: {
				tags: ['services'],
				operationId: 'deleteService',
				summary: 'Delete a service',
				description: 'Deletes a service that no connection uses any more.',
				params: ServiceParams,
				response: {
					204: documented(Type.Null(), 'Deleted'),
					...errorResponses([...BODY_ERRORS, 'SERVICE_NOT_FOUND', 'SERVICE_IN_USE']),
				},
			},
		},
		async (request, reply) => {
			request.auditNote = { service: request.params.name };
			await deleteService(request.db, request.params.name);
			return reply.code(204).send(null);
		},
	);
};

export default services;
