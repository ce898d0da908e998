import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { VaultError } from '../../errors.js';
import { signIn, signOut, type ConsoleSession } from '../../domain/console-sessions.js';
import { sessionCookie } from '../../http/session-cookie.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { documented, Timestamp } from '../schemas.js';

const Session = Type.Object({
	actor: Type.Object({ id: Type.String(), name: Type.String() }),
	csrf_token: Type.String({
		description: 'Repeat it in the `x-csrf-token` header of every request that changes something',
	}),
	expires_at: Timestamp,
	idle_timeout_seconds: Type.Integer({ minimum: 1 }),
});
const SESSION_EXAMPLE = {
	actor: { id: 'env:ADMIN_API_TOKEN:1', name: 'ADMIN_API_TOKEN #1' },
	csrf_token: 'example-csrf-token-not-a-real-one-000000000',
	expires_at: '2026-12-02T09:00:00.000Z',
	idle_timeout_seconds: 28800,
};

const noSession = () =>
	new VaultError('SESSION_NOT_FOUND', 'This request was not made with a console session');

/**
 * The operator console's sessions (issue 15): sign in with an admin token, read the current
 * session (its CSRF token after a page reload), sign out. The session id only ever travels in
 * the HttpOnly cookie; the answers carry the CSRF token, which is useless without it.
 */
const sessions: FastifyPluginAsyncTypebox = async (fastify) => {
	const lifetimes = fastify.config.console;
	const view = (session: ConsoleSession) => ({
		actor: { id: session.actor.id, name: session.actor.name },
		csrf_token: session.csrfToken,
		expires_at: session.expiresAt,
		idle_timeout_seconds: Math.max(1, Math.floor(lifetimes.idleMs / 1000)),
	});

	fastify.post(
		'/sessions',
		{
			config: { action: 'console.sign_in' },
			schema: {
				tags: ['sessions'],
				operationId: 'signIn',
				summary: 'Sign in to the console',
				description:
					'Exchanges an admin token for a console session: a new random id in an `HttpOnly`, ' +
					'`SameSite=Strict` cookie (`Secure` when PUBLIC_URL is https), kept hashed, ending ' +
					'after CONSOLE_SESSION_IDLE without use or CONSOLE_SESSION_MAX after sign-in, or when ' +
					'the token is revoked. A read-scoped token is refused (403).',
				body: documented(
					Type.Object(
						{ token: Type.String({ minLength: 1, maxLength: 512 }) },
						{ additionalProperties: false },
					),
					'The admin token',
					{ token: 'ovt_example-admin-token' },
				),
				response: {
					201: documented(Session, 'Signed in: the cookie is set', SESSION_EXAMPLE),
					...errorResponses(
						[
							...BODY_ERRORS,
							'VALIDATION_FAILED',
							'UNAUTHORIZED',
							'FORBIDDEN',
							'RATE_LIMITED',
							'INTERNAL_ERROR',
							'DATABASE_UNAVAILABLE',
							'AUDIT_UNAVAILABLE',
						],
						{ public: true },
					),
				},
			},
		},
		async (request, reply) => {
			const signedIn = await signIn(fastify.db, fastify.tokens, request.body.token, lifetimes);
			if (!signedIn) return fastify.refuseAuthentication(request, reply, true);
			request.actor = signedIn.session.actor;
			request.consoleSession = signedIn.session;
			reply.header(
				'set-cookie',
				sessionCookie(signedIn.id, lifetimes.maxMs, fastify.config.publicUrl),
			);
			return reply.code(201).send(view(signedIn.session));
		},
	);

	fastify.get(
		'/sessions/current',
		{
			config: { scope: 'admin', action: 'console.session' },
			schema: {
				tags: ['sessions'],
				operationId: 'currentSession',
				summary: 'The current console session',
				description:
					'The session the cookie names, with its CSRF token (a reloaded page reads it here). ' +
					'A request with a bearer token has no session (404).',
				response: {
					200: documented(Session, 'The session', SESSION_EXAMPLE),
					...errorResponses(['SESSION_NOT_FOUND']),
				},
			},
		},
		async (request) => {
			if (!request.consoleSession) throw noSession();
			return view(request.consoleSession);
		},
	);

	fastify.delete(
		'/sessions/current',
		{
			config: { scope: 'admin', action: 'console.sign_out' },
			schema: {
				tags: ['sessions'],
				operationId: 'signOut',
				summary: 'Sign out of the console',
				description: 'Ends the session the cookie names and clears the cookie.',
				response: {
					204: documented(Type.Null(), 'Signed out'),
					...errorResponses([...BODY_ERRORS, 'SESSION_NOT_FOUND']),
				},
			},
		},
		async (request, reply) => {
			if (!request.consoleSession) throw noSession();
			await signOut(fastify.db, request.consoleSession);
			reply.header('set-cookie', sessionCookie('', 0, fastify.config.publicUrl));
			return reply.code(204).send(null);
		},
	);
};

export default sessions;
