import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { readMigrations } from '../src/storage/migrations.js';
import { migrationsDirectory } from '../src/storage/sql-directory.js';
import { createPostgresDatabase } from './helpers/databases.js';
import { runCli, startServe } from './helpers/cli.js';
import { TEST_MASTER_KEY } from './helpers/vault-app.js';

const hasPostgres = Boolean(process.env.TEST_DATABASE_URL);
const tempDir = () => mkdtempSync(join(tmpdir(), 'otobot-cli-'));

describe('start-up checks', () => {
	it('refuses to start in production without a master key, naming the variable and its form', async () => {
		const result = await runCli(['serve'], { NODE_ENV: 'production', VAULT_DATA_DIR: tempDir() });
		expect(result.code).toBe(2);
		expect(result.stderr).toContain('ENCRYPTION_MASTER_KEY');
		expect(result.stderr).toContain('64 hexadecimal characters');
	});

	it('refuses to serve in production without PUBLIC_URL, in one line, before opening the data', async () => {
		const dataDir = tempDir();
		const env = { NODE_ENV: 'production', ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY, PORT: '0' };
		const result = await runCli(['serve'], { ...env, VAULT_DATA_DIR: dataDir });
		expect(result.code).toBe(2);
		const lines = result.stderr.trim().split('\n');
		expect(lines).toHaveLength(1);
		expect(lines[0]).toContain('PUBLIC_URL is not set, and NODE_ENV=production');
		expect(lines[0]).toContain('PUBLIC_URL=https://vault.example.com');
		expect(readdirSync(dataDir)).toEqual([]);
		// the other commands build no links: they still run without it
		expect((await runCli(['migrate'], { ...env, VAULT_DATA_DIR: dataDir })).code).toBe(0);
	});

	it('refuses a malformed master key without echoing it', async () => {
		const result = await runCli(['migrate'], {
			ENCRYPTION_MASTER_KEY: 'abc123-not-hex',
			VAULT_DATA_DIR: tempDir(),
		});
		expect(result.code).toBe(2);
		expect(result.stderr).toContain('ENCRYPTION_MASTER_KEY must be 64 hexadecimal characters');
		expect(result.stderr).not.toContain('abc123-not-hex');
	});

	it('in development, generates a 0600 master key and an admin token file, and reuses them', async () => {
		const dataDir = tempDir();
		const env = { VAULT_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' };
		const first = await startServe(env);
		first.child.kill('SIGTERM');
		await new Promise((resolve) => first.child.once('exit', resolve));
		expect(first.output()).toContain('DEVELOPMENT MODE');
		expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
		expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
		const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
		expect(first.output()).not.toContain(token);
		expect(first.output()).not.toContain(readFileSync(join(dataDir, 'master.key'), 'utf8').trim());

		const list = await runCli(['token', 'list'], { VAULT_DATA_DIR: dataDir });
		expect(list.code).toBe(0);
		expect(list.stdout).toContain('bootstrap admin');
	});

	it.runIf(hasPostgres)(
		'refuses to start with a master key that cannot open the stored data keys',
		async () => {
			const database = await createPostgresDatabase();
			try {
				const env = { DATABASE_URL: database.url, VAULT_DATA_DIR: tempDir() };
				expect(
					(await runCli(['migrate'], { ...env, ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY })).code,
				).toBe(0);
				const wrong = await runCli(['serve'], {
					...env,
					ENCRYPTION_MASTER_KEY: 'f'.repeat(64),
					PORT: '0',
				});
				expect(wrong.code).toBe(1);
				expect(wrong.stderr).toContain('cannot open data key version 1');
				expect(wrong.stderr).toContain('(ENCRYPTION_MASTER_KEY set in the environment)');
				const db = openPostgresDatabase({ url: database.url, poolSize: 1 });
				expect(await db.query('SELECT version FROM encryption_keys')).toHaveLength(1);
				await db.close();
			} finally {
				await database.drop();
			}
		},
	);
});

describe.runIf(hasPostgres)('migrations', () => {
	it('two processes starting at once apply each migration once', async () => {
		const database = await createPostgresDatabase();
		try {
			const env = {
				DATABASE_URL: database.url,
				ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
				VAULT_DATA_DIR: tempDir(),
			};
			const results = await Promise.all([
				runCli(['migrate'], env),
				runCli(['migrate'], env),
				runCli(['migrate'], env),
			]);
			expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
			const appliedLines = results.flatMap((r) =>
				r.stdout.split('\n').filter((line) => line.startsWith('applied 0001')),
			);
			expect(appliedLines).toHaveLength(1);
			const db = openPostgresDatabase({ url: database.url, poolSize: 1 });
			expect(await db.query('SELECT version FROM schema_migrations')).toHaveLength(
				readMigrations(migrationsDirectory()).length,
			);
			expect(await db.query('SELECT version FROM encryption_keys')).toHaveLength(1);
			await db.close();
		} finally {
			await database.drop();
		}
	});
});

describe.runIf(hasPostgres)('otobot-vault connect-link', () => {
	it('prints a single-use link for a client to reconnect, and refuses an unknown client', async () => {
		const database = await createPostgresDatabase();
		try {
			const env = {
				DATABASE_URL: database.url,
				ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
				VAULT_DATA_DIR: tempDir(),
				PUBLIC_URL: 'https://vault.example.com',
			};
			expect((await runCli(['migrate'], env)).code).toBe(0);
			const db = openPostgresDatabase({ url: database.url, poolSize: 1 });
			await db.query(`INSERT INTO clients (id, name) VALUES ('acme', 'Acme')`);
			await db.query(`UPDATE services SET oauth_client_id = 'agency-app' WHERE name = 'google'`);
			const link = await runCli(['connect-link', 'acme', 'google'], env);
			expect(link.code).toBe(0);
			expect(link.stdout).toMatch(/https:\/\/vault\.example\.com\/connect\/[A-Za-z0-9_-]{43}/);
			expect(await db.query('SELECT 1 FROM connect_links')).toHaveLength(1);
			const unknown = await runCli(['connect-link', 'nobody', 'google'], env);
			expect(unknown.code).toBe(1);
			expect(unknown.stderr).toContain('CLIENT_NOT_FOUND');
			await db.close();
		} finally {
			await database.drop();
		}
	});

	it('lists links without their token and revokes one by id', async () => {
		const database = await createPostgresDatabase();
		try {
			const env = {
				DATABASE_URL: database.url,
				ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
				VAULT_DATA_DIR: tempDir(),
				PUBLIC_URL: 'https://vault.example.com',
			};
			expect((await runCli(['migrate'], env)).code).toBe(0);
			const db = openPostgresDatabase({ url: database.url, poolSize: 1 });
			await db.query(`INSERT INTO clients (id, name) VALUES ('acme', 'Acme')`);
			await db.query(`UPDATE services SET oauth_client_id = 'agency-app' WHERE name = 'google'`);
			await db.close();
			const created = await runCli(['connect-link', 'acme', 'google', '--json'], env);
			const token = (JSON.parse(created.stdout) as { url: string }).url.split('/').at(-1)!;

			const table = await runCli(['connect-link', 'list', '--client', 'acme'], env);
			expect(table.code).toBe(0);
			expect(table.stdout).toMatch(/^ID +CLIENT +SERVICE +STATUS/);
			expect(table.stdout).toMatch(/ acme +google +open /);
			expect(table.stdout).not.toContain(token);
			const listed = await runCli(['connect-link', 'list', '--status', 'open', '--json'], env);
			const { links } = JSON.parse(listed.stdout) as { links: { id: string }[] };
			expect(links).toHaveLength(1);
			expect(listed.stdout).not.toContain(token);

			const revoked = await runCli(['connect-link', 'revoke', links[0]!.id], env);
			expect(revoked.code).toBe(0);
			expect(revoked.stdout).toContain(`Revoked the connect link ${links[0]!.id} (acme/google)`);
			const after = await runCli(['connect-link', 'list', '--status', 'revoked', '--json'], env);
			expect(JSON.parse(after.stdout).links).toMatchObject([
				{ id: links[0]!.id, status: 'revoked', revoked_reason: 'revoked' },
			]);
			const unknown = await runCli(
				['connect-link', 'revoke', '00000000-0000-4000-8000-000000000000'],
				env,
			);
			expect(unknown.code).toBe(1);
			expect(unknown.stderr).toContain('No connect link has the id');
			expect((await runCli(['connect-link', 'revoke', 'nope'], env)).code).toBe(2);
		} finally {
			await database.drop();
		}
	});
});
