import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { VaultError } from '../../errors.js';
import { TokenAuthenticator, type Actor } from '../../domain/api-tokens.js';
import type { Secret } from '../../config/secret.js';
import { AuthFailureGuard } from './auth-failure-guard.js';
import type { RefusalReason } from '../../domain/auth-refusals.js';

declare module 'fastify' {
	interface FastifyRequest {
		actor?: Actor;
		/** Why the request was refused before authentication, when it was (audit, metrics). */
		authRefusal?: RefusalReason;
	}
	interface FastifyInstance {
		tokens: TokenAuthenticator;
	}
	interface FastifyContextConfig {
		/** The scope a route needs; `read` routes also accept admin tokens. Unset: no auth. */
		scope?: 'admin' | 'read';
		/** The audit log's name for what the route does, e.g. `credential.fetch`. */
		action?: string;
	}
}

export interface AuthOptions {
	admin: Secret[];
	internal: Secret[];
	cacheSeconds: number;
	failureLimit: number;
	windowMs: number;
}

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/i;

function presentedToken(request: FastifyRequest): string | undefined {
	const header = request.headers.authorization;
	return typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
}

function checkScope(request: FastifyRequest): void {
	const { scope } = request.routeOptions.config;
	const actor = request.actor;
	if (!scope || !actor) return;
	if (scope === 'admin' && actor.scope !== 'admin') {
		throw new VaultError('FORBIDDEN', 'This route needs an admin token');
	}
	const clientId = (request.params as { client_id?: string } | undefined)?.client_id;
	if (actor.clients && clientId !== undefined && !actor.clients.includes(clientId)) {
		throw new VaultError('FORBIDDEN', 'This token is not allowed to use this client');
	}
}

/**
 * Bearer authentication for every route that declares a scope. Runs first (onRequest): a request
 * without a valid token goes no further, and the IP's failures are counted. The token is checked
 * before the failure guard, so a valid token is never refused for what other software sharing its
 * address (n8n behind one NAT) got wrong; a wrong token from a blocked address gets 429. The scope and client
 * check runs before parsing, on the router's raw params.
 */
export default fp<AuthOptions>(
	async (fastify, options) => {
		const tokens = new TokenAuthenticator(fastify.db, options);
		const guard = new AuthFailureGuard(
			fastify.sharedLimits,
			options.failureLimit,
			options.windowMs,
		);
		fastify.decorate('tokens', tokens);

		fastify.addHook('onRequest', async (request, reply) => {
			if (!request.routeOptions.config.scope) return;
			const token = presentedToken(request);
			const actor = token === undefined ? undefined : await tokens.authenticate(token);
			if (!actor) {
				const blockedMs = await guard.failure(request.ip);
				if (blockedMs > 0) {
					reply.header('retry-after', Math.ceil(blockedMs / 1000));
					request.authRefusal = 'auth_blocked';
					throw new VaultError('RATE_LIMITED', 'Too many failed authentications from this address');
				}
				request.authRefusal = token === undefined ? 'no_token' : 'invalid_token';
				reply.header('www-authenticate', 'Bearer');
				throw new VaultError('UNAUTHORIZED', 'A valid bearer token is required');
			}
			request.actor = actor;
		});

		// before the body is parsed or validated: a token of the wrong scope or client learns nothing
		// of the route's schema, and (after the rate limit, which runs on request) spends its budget
		fastify.addHook('preParsing', async (request, _reply, payload) => {
			checkScope(request);
			return payload;
		});
	},
	{ name: 'auth', dependencies: ['database', 'shared-limits'] },
);
