import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError } from 'fastify';
import Type from 'typebox';
import { VaultError } from '../../errors.js';
import { ConnectFlowError } from '../../domain/connect-flow-error.js';
import { openConnectLink } from '../../domain/connect-links.js';
import { completeAuthorization } from '../../domain/oauth-callback.js';
import { ERROR_TITLES, PAGE_HEADERS, renderPage } from './html-page.js';

const Html = { content: { 'text/html': { schema: Type.String() } } };
const htmlErrors = Object.fromEntries(
	[400, 403, 404, 409, 410, 422, 429, 500, 502, 503].map((s) => [s, Html]),
);
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
			.send(renderPage(ERROR_TITLES[error.code] ?? 'Cannot connect', message));
	});

	fastify.get(
		'/connect/:link_token',
		{
			config: { action: 'connect.open' },
			schema: {
				tags: ['connect'],
				security: [],
				params: Type.Object({ link_token: Type.String({ pattern: '^[A-Za-z0-9_-]{16,128}$' }) }),
				response: { 302: { description: 'To the provider', type: 'null' }, ...htmlErrors },
			},
		},
		async (request, reply) => {
			const opened = await openConnectLink(fastify.db, fastify.keyring, request.params.link_token, {
				publicUrl: config.publicUrl,
				allowInsecureUrls: config.allowInsecureOAuthUrls,
			});
			request.auditNote = { clientId: opened.clientId, service: opened.service };
			return reply.redirect(opened.location, 302);
		},
	);

	fastify.get(
		'/oauth/callback',
		{
			config: { action: 'oauth.callback' },
			schema: {
				tags: ['connect'],
				security: [],
				// providers add their own parameters (scope, iss, realmId, ...): extra ones are allowed
				querystring: Type.Object({
					code: Text(4096),
					state: Text(512),
					error: Text(256),
					error_description: Text(2048),
				}),
				response: { 200: Html, ...htmlErrors },
			},
		},
		async (request, reply) => {
			const done = await completeAuthorization(fastify.db, fastify.keyring, request.query, {
				publicUrl: config.publicUrl,
				allowInsecureUrls: config.allowInsecureOAuthUrls,
				timeoutMs: config.refresher.timeoutMs,
			});
			request.auditNote = { clientId: done.clientId, service: done.service };
			const title = `${done.serviceName} connected for ${done.clientName}`;
			return reply.code(200).send(renderPage(title, 'You can close this page.'));
		},
	);
};

export default connect;
