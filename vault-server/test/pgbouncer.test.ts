import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrationsDirectory } from '../src/storage/sql-directory.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { runCli, startServe, type ServeProcess } from './helpers/cli.js';
import { createPostgresDatabase, hasTestPostgres } from './helpers/databases.js';
import { runsHere } from './helpers/skips.js';
import { TestProvider } from './helpers/test-provider.js';
import { throwawayPgbouncerMissing, ThrowawayPgbouncer } from './helpers/throwaway-pgbouncer.js';
import { ADMIN_TOKEN, INTERNAL_TOKEN, TEST_MASTER_KEY } from './helpers/vault-app.js';
import { admin, callVault as call } from './helpers/vault-http.js';

vi.setConfig({ testTimeout: 240_000 });

const metric = async (base: string, line: RegExp) => {
	const { text } = await call(base, '/metrics', { headers: admin });
	return Number(line.exec(text)?.[1] ?? Number.NaN);
};
const cacheHits = (base: string) =>
	metric(base, /^otobot_vault_fetch_cache_lookups_total\{result="hit"\} (\d+)/m);
const cacheListening = (base: string) => metric(base, /^otobot_vault_fetch_cache_listening (\d+)/m);

/**
 * The vault with DATABASE_URL at a PgBouncer in transaction mode (started by the test, with fewer
 * server connections than clients), DATABASE_POOLER=transaction and DATABASE_DIRECT_URL at the
 * server itself: migrations, the credential path, refreshes across two processes and the fetch
 * cache's invalidation (issue 17 §2).
 */
const runs =
	hasTestPostgres('the PgBouncer test') &&
	runsHere('the PgBouncer test', throwawayPgbouncerMissing());

describe.runIf(runs)('through PgBouncer in transaction mode', () => {
	let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
	let pooler: ThrowawayPgbouncer;
	let provider: TestProvider;
	let env: Record<string, string>;
	let a: ServeProcess;
	let b: ServeProcess;

	beforeAll(async () => {
		database = await createPostgresDatabase();
		const direct = new URL(database.url);
		pooler = await ThrowawayPgbouncer.start(Number(direct.port || 5432));
		provider = await TestProvider.start();
		env = {
			DATABASE_URL: pooler.urlOf(direct.pathname.slice(1)),
			DATABASE_POOLER: 'transaction',
			DATABASE_POOL_SIZE: '6',
			ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
			ADMIN_API_TOKEN: ADMIN_TOKEN,
			INTERNAL_API_TOKEN: INTERNAL_TOKEN,
			VAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'otobot-pgbouncer-vault-')),
			PORT: '0',
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
			RATE_LIMIT_MAX: '100000',
			// only a notification can empty the cache within the test
			FETCH_CACHE_SECONDS: '3600',
		};
	});
	afterAll(async () => {
		await a?.stop();
		await b?.stop();
		await provider?.stop();
		await pooler?.stop();
		await database?.drop();
	});

	it('applies every migration through the pooler', async () => {
		const migrated = await runCli(['migrate'], env);
		expect(migrated.stderr).toBe('');
		expect(migrated.code).toBe(0);
		const sql = postgres(database.url, { max: 1, onnotice: () => {} });
		try {
			const rows = await sql`SELECT count(*)::int AS n FROM schema_migrations`;
			const files = readdirSync(migrationsDirectory()).filter((f) => /^\d{4}_.*\.sql$/.test(f));
			expect(rows[0]!.n).toBe(files.length);
		} finally {
			await sql.end();
		}
		expect((await runCli(['migrate'], env)).stdout).toContain('up to date');
	});

	it('serves the credential path from two processes', async () => {
		env = { ...env, DATABASE_DIRECT_URL: database.url };
		[a, b] = await Promise.all([startServe(env), startServe(env)]);
		expect(
			(
				await call(a.url, '/v1/clients', {
					method: 'POST',
					headers: admin,
					body: { id: 'acme', name: 'Acme' },
				})
			).status,
		).toBe(201);
		const service = await call(b.url, '/v1/services', {
			method: 'POST',
			headers: admin,
			body: {
				name: 'crm',
				display_name: 'CRM',
				oauth_token_url: provider.tokenUrl,
				oauth_client_id: 'vault-app',
				oauth_client_secret: 'vault-app-secret',
			},
		});
		expect(service.status).toBe(201);
		const stored = await call(a.url, '/v1/clients/acme/connections/openai', {
			method: 'PUT',
			headers: admin,
			body: { api_key: 'sk-through-pgbouncer-1' },
		});
		expect(stored.status).toBeLessThan(300);
		for (const vault of [a, b]) {
			const fetched = await call(vault.url, '/v1/credentials/acme/openai');
			expect(fetched.status).toBe(200);
			expect(fetched.body.api_key).toBe('sk-through-pgbouncer-1');
		}
	});

	it('two processes and 100 concurrent fetches of one expired token make exactly one provider call', async () => {
		await provider.control({ mode: 'slow', delayMs: 500, rotate: true });
		await provider.allowRefreshToken('rt-pooled');
		const stored = await call(a.url, '/v1/clients/acme/connections/crm', {
			method: 'PUT',
			headers: admin,
			body: { access_token: 'expired-token', refresh_token: 'rt-pooled', expires_in: 0 },
		});
		expect(stored.status).toBeLessThan(300);
		await provider.resetStats();
		const answers = await Promise.all(
			Array.from({ length: 100 }, (_unused, index) =>
				call(index % 2 === 0 ? a.url : b.url, '/v1/credentials/acme/crm'),
			),
		);
		expect(answers.map((answer) => answer.status)).toEqual(Array(100).fill(200));
		expect(new Set(answers.map((answer) => answer.body.access_token)).size).toBe(1);
		expect((await provider.stats()).tokenCalls).toBe(1);
		const lists = await pooler.lists();
		console.info(
			`[figures] pgbouncer: 100 concurrent fetches over two vaults, 1 provider call; ` +
				`${lists.usedClients} client connections shared ${lists.usedServers} server connections`,
		);
	});

	it("empties the other process's fetch cache by notification on DATABASE_DIRECT_URL", async () => {
		await vi.waitFor(async () => expect(await cacheListening(a.url)).toBe(1), WAIT_BOUND);
		await call(a.url, '/v1/credentials/acme/openai');
		const hits = await cacheHits(a.url);
		expect((await call(a.url, '/v1/credentials/acme/openai')).body.api_key).toBe(
			'sk-through-pgbouncer-1',
		);
		expect(await cacheHits(a.url)).toBe(hits + 1);

		const changed = await call(b.url, '/v1/clients/acme/connections/openai', {
			method: 'PUT',
			headers: admin,
			body: { api_key: 'sk-through-pgbouncer-2' },
		});
		expect(changed.status).toBeLessThan(300);
		await vi.waitFor(async () => {
			const fetched = await call(a.url, '/v1/credentials/acme/openai');
			expect(fetched.body.api_key).toBe('sk-through-pgbouncer-2');
		}, WAIT_BOUND);
	});

	it('without DATABASE_DIRECT_URL serves with the fetch cache off, and says so', async () => {
		const { DATABASE_DIRECT_URL: _direct, ...pooledOnly } = env;
		const vault = await startServe(pooledOnly);
		try {
			expect(vault.output()).toContain('fetch cache off: DATABASE_POOLER=transaction');
			for (let round = 0; round < 3; round += 1)
				expect((await call(vault.url, '/v1/credentials/acme/openai')).status).toBe(200);
			expect(await cacheListening(vault.url)).toBe(0);
			expect(await cacheHits(vault.url)).toBe(0);
			const verify = await runCli(['audit', 'verify'], pooledOnly);
			expect(verify.stderr).toBe('');
			expect(verify.code).toBe(0);
		} finally {
			await vault.stop();
		}
	});
});
