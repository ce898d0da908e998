import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { VaultError } from '../errors.js';
import type { Database } from '../storage/database.js';
import { consoleSessionsStore } from '../storage/console-sessions-store.js';
import { hashToken, type Actor, type TokenAuthenticator } from './api-tokens.js';

/** CONSOLE_SESSION_IDLE and CONSOLE_SESSION_MAX, in milliseconds. */
export interface SessionLifetimes {
	idleMs: number;
	maxMs: number;
}

/** A signed-in console session, as the request carries it (never its id). */
export interface ConsoleSession {
	actor: Actor;
	idSha256: Buffer;
	csrfToken: string;
	expiresAt: Date;
}

/** 256 random bits, base64url: the form of a session id and of a CSRF token (43 characters). */
const RANDOM_VALUE = /^[A-Za-z0-9_-]{43}$/;
const randomValue = () => randomBytes(32).toString('base64url');
const digestOf = (value: string) => hash('sha256', value, 'buffer');
// the idle expiry moves on at most this often: a page load's few calls write the row once
const TOUCH_EVERY_MS = 60_000;

/**
 * Exchanges an admin token for a new session (issue 15). Every sign-in makes a new random id, so
 * an id planted before sign-in (session fixation) is never the one signed in. Returns the id,
 * which the caller puts in the cookie and nowhere else, or undefined when the token is not valid.
 * Throws FORBIDDEN (403) for a valid read-scoped token: the console is for admins.
 */
export async function signIn(
	db: Database,
	tokens: TokenAuthenticator,
	presented: string,
	lifetimes: SessionLifetimes,
): Promise<{ id: string; session: ConsoleSession } | undefined> {
	const actor = await tokens.authenticate(presented);
	if (!actor) return undefined;
	if (actor.scope !== 'admin') {
		throw new VaultError('FORBIDDEN', 'The console needs an admin token; this one is read-only');
	}
	const id = randomValue();
	const store = consoleSessionsStore(db);
	await store.deleteExpired(lifetimes.idleMs);
	const row = await store.insert({
		idSha256: digestOf(id),
		adminTokenSha256: hashToken(presented),
		actorId: actor.id,
		csrfToken: randomValue(),
		maxMs: lifetimes.maxMs,
	});
	return {
		id,
		session: {
			actor,
			idSha256: Buffer.from(row.id_sha256),
			csrfToken: row.csrf_token,
			expiresAt: row.expires_at,
		},
	};
}

/**
 * The session whose id the cookie holds, or undefined: an id of the wrong form, an unknown id, a
 * session past its idle or absolute expiry, or one whose admin token was revoked, expired or
 * removed from ADMIN_API_TOKEN since (that session is deleted).
 */
export async function sessionOf(
	db: Database,
	tokens: TokenAuthenticator,
	id: string,
	lifetimes: SessionLifetimes,
): Promise<ConsoleSession | undefined> {
	if (!RANDOM_VALUE.test(id)) return undefined;
	const idSha256 = digestOf(id);
	const store = consoleSessionsStore(db);
	const row = await store.findLive(idSha256, lifetimes.idleMs);
	if (!row) return undefined;
	const actor = await tokens.authenticateDigest(Buffer.from(row.admin_token_sha256));
	if (!actor || actor.scope !== 'admin') {
		await store.delete(idSha256);
		return undefined;
	}
	await store.touch(idSha256, TOUCH_EVERY_MS);
	return { actor, idSha256, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

/** Whether `presented` (the x-csrf-token header) is the session's CSRF token; constant time. */
export function csrfTokenMatches(session: ConsoleSession, presented: unknown): boolean {
	if (typeof presented !== 'string' || presented.length === 0 || presented.length > 128)
		return false;
	return timingSafeEqual(digestOf(presented), digestOf(session.csrfToken));
}

/** Ends a session (sign-out); false when it was already gone. */
export const signOut = (db: Database, session: ConsoleSession): Promise<boolean> =>
	consoleSessionsStore(db).delete(session.idSha256);
