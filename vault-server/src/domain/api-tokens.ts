import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../config/secret.js';
import type { Database, Queryable } from '../storage/database.js';
import { apiTokensStore, type ApiTokenRow, type TokenScope } from '../storage/api-tokens-store.js';

/** Who is calling: an API token, named by id and name, never by its value. */
export interface Actor {
	id: string;
	name: string;
	scope: TokenScope;
	/** `null`: every client. */
	clients: string[] | null;
	source: 'environment' | 'database';
}

const TOKEN_PREFIX = 'ovt_';
const NEGATIVE_CACHE_LIMIT = 10_000;

export const hashToken = (token: string): Buffer => hash('sha256', token, 'buffer');

/** A new random token (256 bits), shown once; the vault keeps only its hash. */
export function generateToken(): { token: string; hash: Buffer; prefix: string } {
	const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
	return { token, hash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) };
}

interface EnvironmentToken {
	hash: Buffer;
	actor: Actor;
}

function environmentTokens(admin: Secret[], internal: Secret[]): EnvironmentToken[] {
	const entries = (values: Secret[], scope: TokenScope, variable: string) =>
		values.map((value, index) => ({
			hash: hashToken(value.reveal()),
			actor: {
				id: `env:${variable}:${index + 1}`,
				name: `${variable} #${index + 1}`,
				scope,
				clients: null,
				source: 'environment' as const,
			},
		}));
	return [
		...entries(admin, 'admin', 'ADMIN_API_TOKEN'),
		...entries(internal, 'read', 'INTERNAL_API_TOKEN'),
	];
}

function actorOf(row: ApiTokenRow): Actor {
	return { id: row.id, name: row.name, scope: row.scope, clients: row.clients, source: 'database' };
}

function usable(row: ApiTokenRow, now: number): boolean {
	return row.revoked_at === null && (row.expires_at === null || row.expires_at.getTime() > now);
}

/**
 * Resolves a presented bearer token to an actor. Tokens are compared as SHA-256 digests with
 * timingSafeEqual; database tokens are looked up by digest and cached briefly, so a fetch does
 * not cost a token query (a revocation reaches other processes within the cache time).
 */
export class TokenAuthenticator {
	readonly #environment: EnvironmentToken[];
	#cache = new Map<string, { row: ApiTokenRow | undefined; until: number }>();

	readonly #cacheMs: number;

	constructor(
		private readonly db: Database,
		options: { admin: Secret[]; internal: Secret[]; cacheSeconds: number },
	) {
		this.#environment = environmentTokens(options.admin, options.internal);
		this.#cacheMs = options.cacheSeconds * 1000;
	}

	async authenticate(presented: string): Promise<Actor | undefined> {
		const digest = hashToken(presented);
		return this.authenticateDigest(digest, presented.startsWith(TOKEN_PREFIX));
	}

	/**
	 * The actor of the token whose SHA-256 is `digest`, if that token is still valid: still in
	 * ADMIN_API_TOKEN / INTERNAL_API_TOKEN, or a database token neither revoked nor expired. The
	 * console's sessions keep only this digest and resolve it on every request.
	 * `maybeDatabase: false` skips the database lookup (the value lacks the database tokens' prefix).
	 */
	async authenticateDigest(digest: Buffer, maybeDatabase = true): Promise<Actor | undefined> {
		let match: Actor | undefined;
		// every environment token is compared, so timing does not tell which one matched
		for (const candidate of this.#environment) {
			if (timingSafeEqual(candidate.hash, digest)) match = candidate.actor;
		}
		if (match) return match;
		if (!maybeDatabase) return undefined;
		const row = await this.#lookup(digest);
		if (!row || !timingSafeEqual(Buffer.from(row.token_hash), digest)) return undefined;
		return usable(row, Date.now()) ? actorOf(row) : undefined;
	}

	/** Forgets cached tokens, e.g. after a revocation in this process. */
	invalidate(): void {
		this.#cache.clear();
	}

	async #lookup(digest: Buffer): Promise<ApiTokenRow | undefined> {
		const key = digest.toString('hex');
		const now = Date.now();
		const cached = this.#cache.get(key);
		if (cached && cached.until > now) return cached.row;
		const row = await apiTokensStore(this.db).findByHash(digest);
		if (this.#cache.size >= NEGATIVE_CACHE_LIMIT) this.#cache.clear();
		if (this.#cacheMs > 0) this.#cache.set(key, { row, until: now + this.#cacheMs });
		return row;
	}
}

export interface NewToken {
	name: string;
	scope: TokenScope;
	expiresInDays?: number;
	clients?: string[];
}

/** Creates a database token; the only time its value exists outside the caller is this return. */
export async function createApiToken(db: Queryable, request: NewToken) {
	const { token, hash, prefix } = generateToken();
	const expiresAt =
		request.expiresInDays === undefined
			? null
			: new Date(Date.now() + request.expiresInDays * 86_400_000);
	const row = await apiTokensStore(db).insert({
		name: request.name,
		scope: request.scope,
		tokenHash: hash,
		tokenPrefix: prefix,
		clients: request.clients && request.clients.length > 0 ? request.clients : null,
		expiresAt,
	});
	return { token, row };
}
