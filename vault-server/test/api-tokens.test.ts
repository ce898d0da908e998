import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Secret } from '../src/config/secret.js';
import { TokenAuthenticator, createApiToken, hashToken } from '../src/domain/api-tokens.js';
import { apiTokensStore } from '../src/storage/api-tokens-store.js';
import type { Database } from '../src/storage/database.js';
import { migrate, readMigrations } from '../src/storage/migrations.js';
import { migrationsDirectory } from '../src/storage/sql-directory.js';
import { backends, openTestDatabase, type TestDatabase } from './helpers/databases.js';

const ADMIN = 'admin-token-0123456789abcdefghijklmn';
const INTERNAL = ['internal-one-0123456789abcdefghijkl', 'internal-two-0123456789abcdefghijkl'];
const DAY_MS = 86_400_000;

const authenticator = (db: Database, cacheSeconds: number) =>
	new TokenAuthenticator(db, {
		admin: [new Secret(ADMIN)],
		internal: INTERNAL.map((token) => new Secret(token)),
		cacheSeconds,
	});

// who a bearer token is (domain/api-tokens.ts), below the HTTP layer auth-every-route.test.ts covers
describe.each(backends())('API tokens on %s', (backend) => {
	let database: TestDatabase;
	let db: Database;

	beforeAll(async () => {
		database = await openTestDatabase(backend);
		db = database.db;
		await migrate(db, readMigrations(migrationsDirectory()));
	});
	afterAll(async () => database?.dispose());

	it('names each environment token by its variable and position, with its scope, for every client', async () => {
		const tokens = authenticator(db, 0);
		expect(await tokens.authenticate(ADMIN)).toEqual({
			id: 'env:ADMIN_API_TOKEN:1',
			name: 'ADMIN_API_TOKEN #1',
			scope: 'admin',
			clients: null,
			source: 'environment',
		});
		expect(await tokens.authenticate(INTERNAL[1]!)).toEqual({
			id: 'env:INTERNAL_API_TOKEN:2',
			name: 'INTERNAL_API_TOKEN #2',
			scope: 'read',
			clients: null,
			source: 'environment',
		});
		for (const wrong of [`${ADMIN}x`, ADMIN.slice(0, -1), '', `ovt_${ADMIN}`])
			expect(await tokens.authenticate(wrong), wrong).toBeUndefined();
	});

	it('creates a 256-bit ovt_ token shown once, stored as its SHA-256 with a 10-character prefix', async () => {
		const { token, row } = await createApiToken(db, {
			name: 'n8n prod',
			scope: 'read',
			clients: ['acme'],
		});
		expect(token).toMatch(/^ovt_[A-Za-z0-9_-]{43}$/);
		expect(row.token_prefix).toBe(token.slice(0, 10));
		expect(Buffer.from(row.token_hash)).toEqual(createHash('sha256').update(token).digest());
		expect(hashToken(token)).toEqual(createHash('sha256').update(token).digest());
		expect(JSON.stringify(row)).not.toContain(token.slice(4));
		expect(row.expires_at).toBeNull();
		expect(await authenticator(db, 0).authenticate(token)).toEqual({
			id: row.id,
			name: 'n8n prod',
			scope: 'read',
			clients: ['acme'],
			source: 'database',
		});
	});

	it('an empty client list means every client; a token expires after its days', async () => {
		const before = Date.now();
		const { row } = await createApiToken(db, {
			name: 'ops',
			scope: 'admin',
			clients: [],
			expiresInDays: 30,
		});
		const after = Date.now();
		expect(row.clients).toBeNull();
		expect(row.expires_at!.getTime()).toBeGreaterThanOrEqual(before + 30 * DAY_MS);
		expect(row.expires_at!.getTime()).toBeLessThanOrEqual(after + 30 * DAY_MS);
		const { token } = await createApiToken(db, { name: 'ops', scope: 'admin', expiresInDays: 1 });
		expect(await authenticator(db, 0).authenticate(token)).toMatchObject({ scope: 'admin' });
	});

	it('refuses an expired or a revoked token, and a token of the right hash under another prefix', async () => {
		const tokens = authenticator(db, 0);
		const expired = await createApiToken(db, { name: 'old', scope: 'read', expiresInDays: 0 });
		expect(await tokens.authenticate(expired.token)).toBeUndefined();
		const revoked = await createApiToken(db, { name: 'gone', scope: 'read' });
		expect(await tokens.authenticate(revoked.token)).toMatchObject({ id: revoked.row.id });
		await apiTokensStore(db).revoke(revoked.row.id);
		expect(await tokens.authenticate(revoked.token)).toBeUndefined();
		// only ovt_ tokens are looked up: a stored hash of another value never authenticates it
		await apiTokensStore(db).insert({
			name: 'foreign',
			scope: 'admin',
			tokenHash: hashToken('not-an-ovt-token-0123456789abcdefghij'),
			tokenPrefix: 'not-an-ovt',
			clients: null,
			expiresAt: null,
		});
		expect(await tokens.authenticate('not-an-ovt-token-0123456789abcdefghij')).toBeUndefined();
	});

	it('caches a lookup for its seconds: a revocation elsewhere shows after invalidate(), at once without a cache', async () => {
		const cached = authenticator(db, 60);
		const uncached = authenticator(db, 0);
		const { token, row } = await createApiToken(db, { name: 'cached', scope: 'read' });
		const unknown = `ovt_${'B'.repeat(43)}`;
		expect(await cached.authenticate(token)).toMatchObject({ id: row.id });
		expect(await cached.authenticate(unknown)).toBeUndefined();
		await apiTokensStore(db).revoke(row.id);
		expect(await cached.authenticate(token)).toMatchObject({ id: row.id });
		expect(await uncached.authenticate(token)).toBeUndefined();
		cached.invalidate();
		expect(await cached.authenticate(token)).toBeUndefined();
	});

	it('forgets a cached lookup once its seconds are over', async () => {
		const cached = authenticator(db, 60);
		const { token, row } = await createApiToken(db, { name: 'cached', scope: 'read' });
		expect(await cached.authenticate(token)).toMatchObject({ id: row.id });
		await apiTokensStore(db).revoke(row.id);
		// the clock the cache reads, 61 s on: no wait, and the database clock is not involved
		const later = Date.now() + 61_000;
		vi.spyOn(Date, 'now').mockReturnValue(later);
		try {
			expect(await cached.authenticate(token)).toBeUndefined();
		} finally {
			vi.restoreAllMocks();
		}
	});

	it('clears the whole cache at 10,000 entries, before the next lookup is cached', async () => {
		// a revocation the cache is not told of shows only once the entries are dropped
		const cached = authenticator(db, 3600);
		const { token, row } = await createApiToken(db, { name: 'bounded', scope: 'read' });
		const unknown = (n: number) => `ovt_unknown-${n}`;
		expect(await cached.authenticate(token)).toMatchObject({ id: row.id });
		await apiTokensStore(db).revoke(row.id);
		expect(await cached.authenticate(token)).toMatchObject({ id: row.id });
		// 9,999 unknown tokens more: 10,000 entries, none dropped
		for (let n = 1; n <= 9_999; n++) expect(await cached.authenticate(unknown(n))).toBeUndefined();
		expect(await cached.authenticate(token)).toMatchObject({ id: row.id });
		// the 10,001st lookup clears them: the token's row is read again
		expect(await cached.authenticate(unknown(10_000))).toBeUndefined();
		expect(await cached.authenticate(token)).toBeUndefined();
	});
});
