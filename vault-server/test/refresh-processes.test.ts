import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresDatabase, hasTestPostgres } from './helpers/databases.js';
import { runCli, startProcess, startServe, type ServeProcess } from './helpers/cli.js';
import { TestProvider } from './helpers/test-provider.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { ADMIN_TOKEN, INTERNAL_TOKEN, TEST_MASTER_KEY } from './helpers/vault-app.js';
import { admin, callVault as call, internal } from './helpers/vault-http.js';

/** Real vault processes on one PostgreSQL database, and a real provider process. */
describe.runIf(hasTestPostgres())('refresh across vault processes', () => {
	let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
	let provider: TestProvider;
	let env: Record<string, string>;
	const vaults: ServeProcess[] = [];
	const startVault = async () => {
		const vault = await startServe(env);
		vaults.push(vault);
		return vault;
	};
	const storeExpiredConnection = async (base: string, refreshToken: string) => {
		await provider.allowRefreshToken(refreshToken);
		const stored = await call(base, '/v1/clients/acme/connections/crm', {
			method: 'PUT',
			headers: admin,
			body: { access_token: 'expired-token', refresh_token: refreshToken, expires_in: 0 },
		});
		expect(stored.status).toBeLessThan(300);
	};

	beforeAll(async () => {
		database = await createPostgresDatabase();
		provider = await TestProvider.start();
		env = {
			DATABASE_URL: database.url,
			ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
			ADMIN_API_TOKEN: ADMIN_TOKEN,
			INTERNAL_API_TOKEN: INTERNAL_TOKEN,
			VAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'otobot-proc-')),
			PORT: '0',
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
			REFRESH_TIMEOUT_MS: '10000',
			RATE_LIMIT_MAX: '100000',
		};
		const [a] = await Promise.all([startVault(), startVault()]);
		await call(a!.url, '/v1/clients', {
			method: 'POST',
			headers: admin,
			body: { id: 'acme', name: 'Acme' },
		});
		const service = await call(a!.url, '/v1/services', {
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
	});
	afterAll(async () => {
		for (const vault of vaults) vault.child.kill('SIGKILL');
		await provider?.stop();
		await database?.drop();
	});

	it('two processes and 100 concurrent fetches of one expired token make exactly one provider call', async () => {
		const [a, b] = vaults;
		await provider.control({ mode: 'slow', delayMs: 500, rotate: true });
		await provider.resetStats();
		await storeExpiredConnection(a!.url, 'rt-race');
		const answers = await Promise.all(
			Array.from({ length: 100 }, (_unused, index) =>
				call(index % 2 === 0 ? a!.url : b!.url, '/v1/credentials/acme/crm'),
			),
		);
		expect(answers.map((answer) => answer.status)).toEqual(Array(100).fill(200));
		expect(new Set(answers.map((answer) => answer.body.access_token)).size).toBe(1);
		expect((await provider.stats()).tokenCalls).toBe(1);
		// the single-use refresh token was rotated once, so the connection still works
		await provider.control({ mode: 'ok' });
		expect(
			(await call(b!.url, '/v1/credentials/acme/crm/refresh', { method: 'POST' })).status,
		).toBe(200);
	});

	it('200 manual refreshes of one connection through two processes make one provider grant', async () => {
		const [a, b] = vaults;
		await provider.control({ mode: 'slow', delayMs: 500, rotate: true });
		await provider.allowRefreshToken('rt-manual');
		await call(a!.url, '/v1/clients', {
			method: 'POST',
			headers: admin,
			body: { id: 'globex', name: 'Globex' },
		});
		const stored = await call(a!.url, '/v1/clients/globex/connections/crm', {
			method: 'PUT',
			headers: admin,
			body: { access_token: 'at-stored', refresh_token: 'rt-manual', expires_in: 3600 },
		});
		expect(stored.status).toBeLessThan(300);
		await provider.resetStats();
		const refresh = (index: number) =>
			call(index % 2 === 0 ? a!.url : b!.url, '/v1/credentials/globex/crm/refresh', {
				method: 'POST',
			});
		const concurrent = await Promise.all(Array.from({ length: 100 }, (_unused, i) => refresh(i)));
		expect(concurrent.map((answer) => answer.status)).toEqual(Array(100).fill(200));
		const fresh = concurrent[0]!.body.access_token as string;
		expect(concurrent.every((answer) => answer.body.access_token === fresh)).toBe(true);
		for (let index = 0; index < 100; index += 1) {
			const answer = await refresh(index);
			expect(answer.status).toBe(200);
			expect(answer.body).toMatchObject({ access_token: fresh, refreshed: false });
		}
		expect((await provider.stats()).grants).toEqual({ refresh_token: 1 });
	});

	it('a refused token reported to two processes at once makes one provider call, within the manual interval', async () => {
		const [a, b] = vaults;
		await provider.control({ mode: 'slow', delayMs: 500, rotate: true });
		const current = (await call(a!.url, '/v1/credentials/globex/crm')).body.access_token as string;
		await provider.resetStats();
		// issue 16 §3: the API answered 401 to `current`; callers of both processes report it
		const refused = { if_access_token_sha256: createHash('sha256').update(current).digest('hex') };
		const answers = await Promise.all(
			Array.from({ length: 40 }, (_unused, index) =>
				call(index % 2 === 0 ? a!.url : b!.url, '/v1/credentials/globex/crm/refresh', {
					method: 'POST',
					headers: { ...internal, 'content-type': 'application/json' },
					body: refused,
				}),
			),
		);
		expect(answers.map((answer) => answer.status)).toEqual(Array(40).fill(200));
		const fresh = answers[0]!.body.access_token as string;
		expect(fresh).not.toBe(current);
		expect(answers.every((answer) => answer.body.access_token === fresh)).toBe(true);
		expect((await provider.stats()).grants).toEqual({ refresh_token: 1 });
	});

	it('a vault killed with SIGKILL in the middle of a refresh loses no connection', async () => {
		const victim = await startVault();
		const survivor = vaults[1]!;
		await provider.control({ mode: 'slow', delayMs: 5000, rotate: true });
		await storeExpiredConnection(victim.url, 'rt-crash');
		await provider.resetStats();
		const pending = call(victim.url, '/v1/credentials/acme/crm').catch(() => undefined);
		await vi.waitFor(async () => expect((await provider.stats()).tokenCalls).toBe(1), WAIT_BOUND);
		victim.child.kill('SIGKILL');
		await pending;
		await provider.control({ mode: 'ok' });

		const after = await call(survivor.url, '/v1/credentials/acme/crm');
		expect(after.status).toBe(200);
		expect(after.body.access_token).not.toBe('expired-token');
		const connections = await call(survivor.url, '/v1/clients/acme/connections', {
			headers: internal,
		});
		expect(connections.body.connections[0]).toMatchObject({
			service: 'crm',
			status: 'active',
			refresh_failures: 0,
		});

		const verify = await runCli(['audit', 'verify'], env);
		expect(verify.code).toBe(0);
	});

	it('the separate refresher process (token-refresher) renews due connections with no vault serving fetches', async () => {
		const server = vaults[1]!;
		await provider.control({ mode: 'ok', rotate: false });
		await storeExpiredConnection(server.url, 'rt-standalone');
		await call(server.url, '/v1/clients/acme/connections/crm', {
			method: 'PUT',
			headers: admin,
			body: { access_token: 'soon', refresh_token: 'rt-standalone', expires_in: 3600 },
		});
		await provider.resetStats();
		const refresher = await startProcess(
			['refresher'],
			{ ...env, REFRESHER_INTERVAL_SECONDS: '1' },
			/refresher started()/,
		);
		vaults.push(refresher);
		const { openPostgresDatabase } = await import('../src/storage/postgres-database.js');
		const db = openPostgresDatabase({ url: database.url, poolSize: 1 });
		try {
			const [forced] = await db.query<{ at: Date }>(
				`UPDATE connections SET next_refresh_at = now() WHERE client_id = 'acme' AND service = 'crm'
				 RETURNING now() AS at`,
			);
			await vi.waitFor(
				async () => expect((await provider.stats()).grants.refresh_token).toBe(1),
				WAIT_BOUND,
			);
			// a failed refresh also moves next_refresh_at on (its backoff): the proof is the new token
			await vi.waitFor(async () => {
				const [row] = await db.query<Record<string, unknown>>(
					`SELECT status, refresh_failures, last_error, last_refreshed_at > $1 AS refreshed
					 FROM connections WHERE client_id = 'acme' AND service = 'crm'`,
					[forced!.at],
				);
				expect(row).toEqual({
					status: 'active',
					refresh_failures: 0,
					last_error: null,
					refreshed: true,
				});
			}, WAIT_BOUND);
			// the serving vault hears of the other process's write by notification
			await vi.waitFor(async () => {
				const fetched = await call(server.url, '/v1/credentials/acme/crm');
				expect(fetched.status).toBe(200);
				expect(fetched.body.access_token).toMatch(/^at-\d+-/);
			}, WAIT_BOUND);
			expect((await provider.stats()).grants.refresh_token).toBe(1);
		} finally {
			await db.close();
		}
	});
});
