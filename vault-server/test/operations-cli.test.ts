import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openVault } from '../src/vault.js';
import { createClient } from '../src/domain/clients.js';
import { createService } from '../src/domain/services.js';
import { storeConnection } from '../src/domain/connections.js';
import { backends, createPostgresDatabase } from './helpers/databases.js';
import { CLI_RUN_BOUND_MS, runCli } from './helpers/cli.js';
import { TestProvider } from './helpers/test-provider.js';
import { TEST_MASTER_KEY, testConfig } from './helpers/vault-app.js';

// each test runs the CLI up to four times, each run bounded for a busy machine (PGlite in WebAssembly
// took 45 s for four runs on a 2-core machine with another CPU-bound job)
vi.setConfig({ testTimeout: 4 * CLI_RUN_BOUND_MS });

describe.each(backends())('monitor and test-connections on %s', (backend) => {
	let provider: TestProvider;
	let env: Record<string, string>;
	let dropDatabase: (() => Promise<void>) | undefined;
	/** The vault's database, opened in this process between CLI runs (PGlite allows one process). */
	const withVault = async <T>(
		work: (vault: Awaited<ReturnType<typeof openVault>>) => Promise<T>,
	) => {
		const vault = await openVault(testConfig(env));
		try {
			return await work(vault);
		} finally {
			await vault.db.close();
		}
	};
	const monitor = async () => {
		const result = await runCli(['monitor', '--json'], env);
		return { code: result.code, summary: JSON.parse(result.stdout) };
	};

	beforeAll(async () => {
		provider = await TestProvider.start();
		env = {
			ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
			VAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'otobot-ops-')),
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			PORT: '1',
			// no provider here hangs: a bound for a busy machine (2 s timed a refresh out under load)
			REFRESH_TIMEOUT_MS: '30000',
		};
		if (backend === 'postgres') {
			const database = await createPostgresDatabase();
			env.DATABASE_URL = database.url;
			dropDatabase = database.drop;
		}
		await provider.allowRefreshToken('rt-good');
		await withVault(async ({ db, keyring }) => {
			await createClient(db, { id: 'acme', name: 'Acme' });
			const oauth = {
				oauth_type: 'oauth2' as const,
				oauth_token_url: provider.tokenUrl,
				oauth_client_id: 'vault-app',
				oauth_client_secret: 'vault-app-secret',
			};
			await createService(
				db,
				keyring,
				'crm',
				{ display_name: 'CRM', ...oauth },
				{ allowInsecureUrls: true },
			);
			await createService(
				db,
				keyring,
				'mail',
				{ display_name: 'Mail', ...oauth },
				{ allowInsecureUrls: true },
			);
			await storeConnection(db, keyring, 'acme', 'crm', {
				access_token: 'at-good',
				refresh_token: 'rt-good',
				expires_in: 3600,
			});
			await storeConnection(db, keyring, 'acme', 'mail', {
				access_token: 'at-bad',
				refresh_token: 'rt-revoked',
				expires_in: 3600,
			});
		});
	});
	afterAll(async () => {
		await provider?.stop();
		await dropDatabase?.();
	});

	it('monitor --json exits 0 when nothing needs action, 1 with the expired connection listed', async () => {
		const calm = await monitor();
		expect(calm.code).toBe(0);
		expect(calm.summary).toMatchObject({
			needs_action: false,
			counts: { connections: 2, expired: 0 },
		});

		await withVault(({ db }) =>
			db.query(
				`UPDATE connections SET expires_at = now() - interval '1 hour' WHERE service = 'mail'`,
			),
		);
		const alarmed = await monitor();
		expect(alarmed.code).toBe(1);
		expect(alarmed.summary.counts.expired).toBe(1);
		expect(alarmed.summary.connections.expired[0]).toMatchObject({
			client_id: 'acme',
			service: 'mail',
		});
		const text = await runCli(['monitor'], env);
		expect(text.code).toBe(1);
		expect(text.stdout).toContain('acme/mail');
		expect(text.stdout).not.toContain('\u001b['); // not a TTY: no colour
		expect(text.stdout + text.stderr).not.toContain('at-bad');
	});

	it('test-connections prints its verdict per connection and exits 1 on a FAILED one', async () => {
		// what a refresh refused with invalid_grant leaves (test-connections makes no refresh)
		await withVault(({ db }) =>
			db.query(
				`UPDATE connections SET status = 'needs_reauth', last_error = 'invalid_grant' WHERE service = 'mail'`,
			),
		);
		const result = await runCli(['test-connections'], env);
		expect(result.stdout).toMatch(/^OK\s+database/m);
		expect(result.stdout).toMatch(/^OK\s+migrations\s+.*none pending/m);
		expect(result.stdout).toMatch(/^OK\s+master key/m);
		expect(result.stdout).toMatch(/^SKIPPED\s+API health/m);
		// no test_url on crm: not tested, and no refresh made in its place
		expect(result.stdout).toMatch(/^NOT CHECKED\s+acme\/crm\s+not tested \(no test_url/m);
		expect(result.stdout).toMatch(
			/^FAILED\s+acme\/mail\s+needs re-authorisation \(invalid_grant\)/m,
		);
		expect(result.code).toBe(1);
		expect(result.stdout + result.stderr).not.toMatch(/rt-good|at-good|vault-app-secret/);
		const monitored = await monitor();
		expect(monitored.summary.connections.needs_reauth.map((c: any) => c.service)).toEqual(['mail']);
	});

	it('test-connections exits 0 when every check passes', async () => {
		await withVault(({ db }) => db.query(`DELETE FROM connections WHERE service = 'mail'`));
		const result = await runCli(['test-connections'], env);
		expect(result.stdout).toContain('All checks passed');
		expect(result.code).toBe(0);
	});

	it('--insert-test-data is idempotent and says how to remove it', async () => {
		const snapshot = () =>
			withVault(async ({ db }) =>
				JSON.stringify([
					await db.query(`SELECT * FROM clients WHERE id = 'demo-test-client'`),
					await db.query(
						`SELECT name, display_name, created_at FROM services WHERE name LIKE 'demo-test-%' ORDER BY name`,
					),
					await db.query(
						`SELECT * FROM connections WHERE client_id = 'demo-test-client' ORDER BY service`,
					),
				]),
			);
		const first = await runCli(['test-connections', '--insert-test-data'], env);
		expect(first.code).toBe(0);
		expect(first.stdout).toContain('created client demo-test-client');
		expect(first.stdout).toContain('/v1/diagnostics/test-data');
		const before = await snapshot();
		const second = await runCli(['test-connections', '--insert-test-data'], env);
		expect(second.stdout).toContain('nothing changed');
		expect(await snapshot()).toBe(before);
		expect(JSON.parse(before)[2]).toHaveLength(3);

		const removed = await runCli(['test-connections', '--remove-test-data'], env);
		expect(removed.code).toBe(0);
		expect(JSON.parse(await snapshot())).toEqual([[], [], []]);
	});
});
