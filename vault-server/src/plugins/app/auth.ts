import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VaultError } from '../../errors.js';
import { TokenAuthenticator, type Actor } from '../../domain/api-tokens.js';
import {
	csrfTokenMatches,
	sessionOf,
	type ConsoleSession,
	type SessionLifetimes,
} from '../../domain/console-sessions.js';
import { sessionCookieName, sessionCookieValues } from '../../http/session-cookie.js';
import type { Secret } from '../../config/secret.js';
import { AuthFailureGuard } from './auth-failure-guard.js';
import type { RefusalReason } from '../../domain/auth-refusals.js';

declare module 'fastify' {
	interface FastifyRequest {
		actor?: Actor;
		/** Set when the request authenticated with the console's session cookie. */
		consoleSession?: ConsoleSession;
		/** Why the request was refused before authentication, when it was (audit, metrics). */
		authRefusal?: RefusalReason;
	}
	interface FastifyInstance {
		tokens: TokenAuthenticator;
		/**
		 * Counts a failed authentication from the request's address and throws: UNAUTHORIZED (401),
		 * or RATE_LIMITED (429) once the address is over AUTH_FAILURE_LIMIT. For routes that take a
		 * token another way than the Authorization header (the console's sign-in).
		 */
		refuseAuthentication(
			request: FastifyRequest,
			reply: FastifyReply,
			presented: boolean,
		): Promise<never>;
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
	/** The console's session lifetimes: a session cookie stands in for the bearer token. Unset: no console. */
	sessions: SessionLifetimes | undefined;
	/** PUBLIC_URL: on https the session cookie is `__Host-` prefixed (http/session-cookie.ts). */
	publicUrl: string;
}

// RFC 9110 §9.2.1: the methods that change nothing need no CSRF token
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
 * A request without an Authorization header may authenticate with the console's session cookie
 * instead: the session's admin token is the actor (same scopes, same audit actor), and a request
 * that changes something must repeat the session's CSRF token in `x-csrf-token` (double submit;
 * the cookie alone, which a browser attaches by itself, changes nothing).
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

		const refuse = async (request: FastifyRequest, reply: FastifyReply, presented: boolean) => {
			const blockedMs = await guard.failure(request.ip);
			if (blockedMs > 0) {
				reply.header('retry-after', Math.ceil(blockedMs / 1000));
				request.authRefusal = 'auth_blocked';
				throw new VaultError('RATE_LIMITED', 'Too many failed authentications from this address');
			}
			request.authRefusal = presented ? 'invalid_token' : 'no_token';
			reply.header('www-authenticate', 'Bearer');
			throw new VaultError('UNAUTHORIZED', 'A valid bearer token is required');
		};
		fastify.decorate('refuseAuthentication', refuse);

		/** The first live session among the request's cookies of that name (a sibling may add one). */
		const cookieName = sessionCookieName(options.publicUrl);
		const liveSession = async (request: FastifyRequest) => {
			if (!options.sessions) return undefined;
			for (const id of sessionCookieValues(request.headers.cookie, cookieName)) {
				const session = await sessionOf(fastify.db, tokens, id, options.sessions);
				if (session) return session;
			}
			return undefined;
		};

		/** The console session of a request without an Authorization header, if a cookie names one. */
		const sessionActor = async (request: FastifyRequest): Promise<Actor | undefined> => {
			const session = await liveSession(request);
			if (!session) return undefined;
			request.consoleSession = session;
			// set before the CSRF check, so a refused change is audited under its actor
			request.actor = session.actor;
			if (!SAFE_METHODS.has(request.method)) {
				if (!csrfTokenMatches(session, request.headers['x-csrf-token'])) {
					throw new VaultError(
						'CSRF_TOKEN_INVALID',
						'A change made with the console session needs its x-csrf-token header',
					);
				}
			}
			return session.actor;
		};

		fastify.addHook('onRequest', async (request, reply) => {
			if (!request.routeOptions.config.scope) return;
			const token = presentedToken(request);
			const actor =
				token !== undefined
					? await tokens.authenticate(token)
					: request.headers.authorization === undefined
						? await sessionActor(request)
						: undefined;
			if (!actor) {
				const presented = token !== undefined || request.headers.cookie !== undefined;
				return refuse(request, reply, presented);
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
