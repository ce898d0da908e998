import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError } from 'fastify';
import Type from 'typebox';
import { VaultError } from '../../errors.js';
import { ConnectFlowError } from '../../domain/connect-flow-error.js';
import { openConnectLink } from '../../domain/connect-links.js';
import { completeAuthorization } from '../../domain/oauth-callback.js';
import { htmlErrorResponses } from '../error-responses.js';
import { pageBranding, type PageBranding } from '../../domain/branding.js';
import { ERROR_TITLES, PAGE_HEADERS, UNBRANDED, renderPage } from './html-page.js';
import { CONNECT_PAGE, OAUTH_CALLBACK, oauthRedirectUri } from '../public-urls.js';

/** What any page can answer, besides its own refusals. */
const PAGE_ERRORS = [
	'VALIDATION_FAILED',
	'RATE_LIMITED',
	'INTERNAL_ERROR',
	'AUDIT_UNAVAILABLE',
] as const;
const Text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));

/** Any error as a VaultError: ours as they are, the framework's by status, the rest a fixed 500. */
function toVaultError(error: FastifyError): VaultError {
	if (error instanceof VaultError) return error;
	if (error.validation) return new VaultError('VALIDATION_FAILED', 'This address is not valid.');
	const status = error.statusCode ?? 500;
	if (status === 429)
		return new VaultError('RATE_LIMITED', 'Too many requests. Wait a minute and try again.');
	if (status >= 400 && status < 500)
		return new VaultError('VALIDATION_FAILED', 'This address is not valid.');
	return new VaultError('INTERNAL_ERROR', 'Internal server error');
}

/**
 * The pages a client sees: `GET /connect/:link_token` sends the browser to the provider, and
 * `GET /oauth/callback` is where the provider sends it back (the redirect URI to register in each
 * OAuth app). No bearer token: the link token and the state are the credentials. Every answer is
 * HTML, errors included, and never shows a secret or a stack.
 */
const connect: FastifyPluginAsyncTypebox = async (fastify) => {
	const { config } = fastify;

	/** The agency's branding; an error page is still shown, unbranded, when it cannot be read. */
	const branding = async (): Promise<PageBranding> => {
		try {
			return await pageBranding(fastify.db);
		} catch (error) {
			fastify.log.warn({ err: error }, 'branding unreadable; the page is shown without it');
			return UNBRANDED;
		}
	};

	// set first, so redirects and refusals carry them too
	fastify.addHook('onRequest', async (_request, reply) => {
		reply.headers(PAGE_HEADERS);
	});

	fastify.setErrorHandler(async (raw: FastifyError, request, reply) => {
		const error = toVaultError(raw);
		request.errorCode = error.code;
		if (error instanceof ConnectFlowError && error.subject) {
			request.auditNote = { ...request.auditNote, ...error.subject };
		}
		if (error.statusCode >= 500) request.log.error({ err: raw }, error.message);
		const message =
			error.statusCode >= 500 && !(error instanceof ConnectFlowError)
				? 'Something went wrong on our side. Try again in a few minutes.'
				: error.message;
		// an error clears the content type set at the start
		reply.headers(PAGE_HEADERS);
		return reply
			.code(error.statusCode)
			.send(renderPage(ERROR_TITLES[error.code] ?? 'Cannot connect', message, await branding()));
	});

	fastify.get(
		CONNECT_PAGE,
		{
			config: { action: 'connect.open' },
			schema: {
				tags: ['connect'],
				operationId: 'openConnectLink',
				summary: 'Open a connect link (browser)',
				description:
					'The page a client opens from a connect link: it sends the browser to the provider ' +
					'to sign in and grant access (RFC 6749 §4.1.1, with PKCE when the service asks). The ' +
					'link token is the credential: no bearer token. Refusals are HTML pages.',
				security: [],
				params: Type.Object({
					link_token: Type.String({
						pattern: '^[A-Za-z0-9_-]{16,128}$',
						description: 'The token in the connect link',
						examples: ['example-link-token-shown-once'],
					}),
				}),
				response: {
					302: {
						description: "To the provider's authorization page (`Location`)",
						type: 'null',
					},
					...htmlErrorResponses([
						...PAGE_ERRORS,
						'CONNECT_LINK_NOT_FOUND',
						'CONNECT_LINK_USED',
						'CONNECT_LINK_REVOKED',
						'CONNECT_LINK_EXPIRED',
						'SERVICE_NOT_FOUND',
						'SERVICE_NOT_CONNECTABLE',
						'VAULT_DECRYPTION_FAILED',
					]),
				},
			},
		},
		async (request, reply) => {
			const opened = await openConnectLink(fastify.db, fastify.keyring, request.params.link_token, {
				redirectUri: oauthRedirectUri(config.publicUrl),
				allowInsecureUrls: config.allowInsecureOAuthUrls,
			});
			request.auditNote = { clientId: opened.clientId, service: opened.service };
			return reply.redirect(opened.location, 302);
		},
	);

	fastify.get(
		OAUTH_CALLBACK,
		{
			config: { action: 'oauth.callback' },
			schema: {
				tags: ['connect'],
				operationId: 'oauthCallback',
				summary: 'OAuth2 redirect URI (browser)',
				description:
					'Where the provider sends the browser back (RFC 6749 §4.1.2): register this address ' +
					'as the redirect URI of each OAuth app. The vault checks `state`, exchanges `code` ' +
					'for tokens (§4.1.3), stores the connection and shows a page saying it is done. ' +
					'Parameters the service declares (`callback_params`, an `accounts-server` from its ' +
					'`accounts_servers`) are checked before the exchange: a malformed one is a 400 page and ' +
					'no code is spent.',
				security: [],
				// providers add their own parameters (scope, iss, realmId, ...): extra ones are allowed
				querystring: Type.Object({
					code: Text(4096),
					state: Text(512),
					error: Text(256),
					error_description: Text(2048),
				}),
				response: {
					200: {
						description: 'The account is connected: a page saying so',
						content: { 'text/html': { schema: Type.String() } },
					},
					...htmlErrorResponses([
						...PAGE_ERRORS,
						'OAUTH_STATE_INVALID',
						'OAUTH_STATE_USED',
						'OAUTH_STATE_EXPIRED',
						'OAUTH_AUTHORIZATION_DENIED',
						'OAUTH_AUTHORIZATION_FAILED',
						'OAUTH_EXCHANGE_FAILED',
						'CONNECT_LINK_USED',
						'CONNECT_LINK_REVOKED',
						'CONNECT_LINK_EXPIRED',
						'CLIENT_NOT_FOUND',
						'SERVICE_NOT_FOUND',
						'VAULT_DECRYPTION_FAILED',
					]),
				},
			},
		},
		async (request, reply) => {
			const done = await completeAuthorization(fastify.db, fastify.keyring, request.query, {
				redirectUri: oauthRedirectUri(config.publicUrl),
				allowInsecureUrls: config.allowInsecureOAuthUrls,
				privateAddresses: config.providerPrivateAddresses,
				timeoutMs: config.refresher.timeoutMs,
			});
			request.auditNote = { clientId: done.clientId, service: done.service };
			const title = `${done.serviceName} connected for ${done.clientName}`;
			const page = renderPage(title, 'You can close this page.', await branding(), 'success');
			return reply.code(200).send(page);
		},
	);
};

export default connect;
