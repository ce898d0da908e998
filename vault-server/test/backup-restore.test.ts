import { spawnSync } from 'node:child_process';
import {
	chmodSync,
	existsSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	rmSync,
	statSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import { openVault } from '../src/vault.js';
import { findPostgresTool, PostgresToolMissing } from '../src/storage/postgres-tools.js';
import { backends, createPostgresDatabase } from './helpers/databases.js';
import { CLI_RUN_BOUND_MS, runCli, startServe } from './helpers/cli.js';
import { runsHere } from './helpers/skips.js';
import {
	asAdmin,
	asInternal,
	LogCapture,
	TEST_MASTER_KEY,
	testConfig,
} from './helpers/vault-app.js';

// a test runs the CLI up to four times; PGlite in WebAssembly is slow on a busy 2-core machine
// (the PGlite round trip took 347 s at load average 31): bounds against hangs, not timings
vi.setConfig({ testTimeout: 8 * CLI_RUN_BOUND_MS, hookTimeout: 3 * CLI_RUN_BOUND_MS });

const OTHER_MASTER_KEY = '0f'.repeat(32);
const temporary: string[] = [];
const tempDir = (prefix: string) => {
	const dir = mkdtempSync(join(tmpdir(), prefix));
	temporary.push(dir);
	return dir;
};
afterAll(() => temporary.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Runs `work` against the vault's HTTP app on the database `env` names, then closes both. */
async function withApp<T>(
	env: Record<string, string>,
	work: (app: FastifyInstance) => Promise<T>,
): Promise<T> {
	const config = testConfig(env);
	const vault = await openVault(config);
	try {
		const app = await buildApp({
			config,
			db: vault.db,
			keyring: vault.keyring,
			logStream: new LogCapture(),
		});
		await app.ready();
		try {
			return await work(app);
		} finally {
			await app.close();
		}
	} finally {
		await vault.db.close();
	}
}

const fetchBoth = (app: FastifyInstance) =>
	Promise.all(
		['keys', 'crm'].map(async (service) => {
			const response = await app.inject({
				url: `/v1/credentials/acme/${service}`,
				headers: asInternal,
			});
			expect(response.statusCode).toBe(200);
			return response.json() as unknown;
		}),
	);

/** Why pg_dump cannot run here (not on PATH, none in /usr/lib/postgresql/<major>/bin), or undefined. */
function pgDumpMissing(): string | undefined {
	if (spawnSync('pg_dump', ['--version']).status === 0) return undefined;
	const versioned = existsSync('/usr/lib/postgresql')
		? readdirSync('/usr/lib/postgresql').some((major) =>
				existsSync(`/usr/lib/postgresql/${major}/bin/pg_dump`),
			)
		: false;
	return versioned ? undefined : 'no pg_dump on PATH or in /usr/lib/postgresql/<major>/bin';
}

const backupBackends = backends().filter(
	(backend) =>
		backend === 'pglite' || runsHere('backup and restore on PostgreSQL', pgDumpMissing()),
);

describe.each(backupBackends)('backup and restore on %s', (backend) => {
	const drops: (() => Promise<void>)[] = [];
	let source: Record<string, string>;
	let target: Record<string, string>;
	let work: string;
	let fetchedBefore: unknown[];

	const newEnv = async (): Promise<Record<string, string>> => {
		const env: Record<string, string> = {
			ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
			VAULT_DATA_DIR: tempDir('otobot-backup-data-'),
		};
		if (backend === 'postgres') {
			const database = await createPostgresDatabase();
			env.DATABASE_URL = database.url;
			drops.push(database.drop);
		}
		return env;
	};

	beforeAll(async () => {
		work = tempDir('otobot-backup-files-');
		source = await newEnv();
		target = await newEnv();
		fetchedBefore = await withApp(source, async (app) => {
			const setUp = [
				{ method: 'POST', url: '/v1/clients', payload: { id: 'acme', name: 'Acme' } },
				{
					method: 'POST',
					url: '/v1/services',
					payload: { name: 'keys', display_name: 'Keys', oauth_type: 'api_key' },
				},
				{
					method: 'PUT',
					url: '/v1/clients/acme/connections/keys',
					payload: { api_key: 'sk-backup-secret' },
				},
				{
					method: 'PUT',
					url: '/v1/clients/acme/connections/crm',
					payload: { access_token: 'at-backup', refresh_token: 'rt-backup', expires_in: 3600 },
				},
			] as const;
			await app.inject({
				method: 'POST',
				url: '/v1/services',
				headers: asAdmin,
				payload: {
					name: 'crm',
					display_name: 'CRM',
					oauth_type: 'oauth2',
					oauth_token_url: 'https://crm.example.com/oauth/token',
					oauth_client_id: 'vault-app',
					oauth_client_secret: 'vault-app-secret',
				},
			});
			for (const request of setUp) {
				const response = await app.inject({ ...request, headers: asAdmin });
				expect(response.statusCode, `${request.method} ${request.url}`).toBeLessThan(300);
			}
			return fetchBoth(app);
		});
	});
	afterAll(async () => {
		for (const drop of drops) await drop();
	});

	it('backs up, verifies the backup (counts) and restores it into an empty database that serves the same values', async () => {
		const file = join(work, 'vault.backup');
		const backup = await runCli(['backup', '--output', file], source);
		expect(backup.stderr).toBe('');
		expect(backup.code).toBe(0);

		const verify = await runCli(['backup', 'verify', file], source);
		expect(verify.code, verify.stderr).toBe(0);
		expect(verify.stdout).toContain('Key check: OK');
		expect(verify.stdout).toMatch(/Migrations: OK, \d+ applied/);
		expect(verify.stdout).toMatch(/Audit chain: OK, [1-9]\d* rows verified/);
		// keys: the API key; crm: access and refresh token, and the service's client secret
		expect(verify.stdout).toMatch(
			/Counts: 1 clients, 2 connections, 4 ciphertexts, [1-9]\d* audit rows/,
		);
		expect(verify.stdout).toContain('Backup OK.');

		const restore = await runCli(['restore', file], target);
		expect(restore.code, restore.stderr).toBe(0);
		expect(restore.stdout).toContain('1 clients, 2 connections');
		expect(await withApp(target, fetchBoth)).toEqual(fetchedBefore);
		if (backend === 'pglite') {
			// as `serve` makes it: the embedded database's folder is the vault user's alone
			expect(statSync(join(target.VAULT_DATA_DIR!, 'pglite')).mode & 0o777).toBe(0o700);
		}
	});

	it('refuses to overwrite an existing --output file in one line naming it; --force replaces it by rename, mode 0600', async () => {
		const folder = tempDir('otobot-backup-output-');
		const file = join(folder, 'existing.backup');
		writeFileSync(file, 'an older backup', { mode: 0o644 });
		chmodSync(file, 0o644);
		const refused = await runCli(['backup', '--output', file], source);
		expect(refused.code).toBe(1);
		expect(refused.stderr.trim().split('\n')).toHaveLength(1);
		expect(refused.stderr).toContain(file);
		expect(refused.stderr).toContain('--force');
		expect(readFileSync(file, 'utf8')).toBe('an older backup');
		const inodeBefore = statSync(file).ino;
		// a stale temporary file of an earlier run is neither reused (its mode) nor in the way
		writeFileSync(`${file}.partial`, 'stale', { mode: 0o644 });
		const forced = await runCli(['backup', '--output', file, '--force'], source);
		expect(forced.code, forced.stderr).toBe(0);
		expect(readFileSync(file).subarray(0, 21).toString()).toBe('otobot-vault backup 1');
		expect(statSync(file).mode & 0o777).toBe(0o600);
		// written beside it and renamed over it, not rewritten in place
		expect(statSync(file).ino).not.toBe(inodeBefore);
		expect(readdirSync(folder).sort()).toEqual(['existing.backup', 'existing.backup.partial']);
		expect((await runCli(['backup', 'verify', file], source)).code).toBe(0);
	});

	it('refuses an --output that is a folder, --force or not, in one line before any work', async () => {
		const folder = tempDir('otobot-backup-folder-');
		for (const force of [[], ['--force']]) {
			const refused = await runCli(['backup', '--output', folder, ...force], source);
			expect(refused.code, force.join()).toBe(1);
			expect(refused.stderr.trim().split('\n'), refused.stderr).toHaveLength(1);
			expect(refused.stderr).toContain(`${folder} is a folder`);
			expect(readdirSync(folder)).toEqual([]);
			const partial = readdirSync(dirname(folder)).filter((name) =>
				name.startsWith(`.${basename(folder)}.`),
			);
			expect(partial).toEqual([]);
		}
	});

	it('refuses to restore into a database that is not empty, in one line', async () => {
		const file = join(work, 'refused.backup');
		expect((await runCli(['backup', '--output', file], source)).code).toBe(0);
		const restore = await runCli(['restore', file], source);
		expect(restore.code).toBe(1);
		expect(restore.stderr).toMatch(/^otobot-vault: Refusing to restore: .*empty/);
		expect(restore.stderr.trim().split('\n')).toHaveLength(1);
	});

	it('fails verify at once, naming the key check, under another master key; and on a damaged file', async () => {
		const file = join(work, 'key.backup');
		expect((await runCli(['backup', '--output', file], source)).code).toBe(0);
		const verify = await runCli(['backup', 'verify', file], {
			...source,
			ENCRYPTION_MASTER_KEY: OTHER_MASTER_KEY,
		});
		expect(verify.code).toBe(1);
		expect(verify.stderr).toMatch(
			/^otobot-vault: Key check FAILED: the configured ENCRYPTION_MASTER_KEY/,
		);
		// nothing was restored or decrypted: no step of the drill ran
		expect(verify.stdout).toBe('');

		// one byte of the payload changed: the right key, a damaged file
		const bytes = readFileSync(file);
		bytes[bytes.length - 1]! ^= 0xff;
		writeFileSync(file, bytes);
		const damaged = await runCli(['backup', 'verify', file], source);
		expect(damaged.code).toBe(1);
		expect(damaged.stderr).toMatch(/the backup is damaged .*SHA-256 differs/);
		expect(damaged.stdout).toBe('');
	});

	it('fails verify (exit 1) when an audit row in the backup was edited', async () => {
		const config = testConfig(source);
		const vault = await openVault(config);
		try {
			// as a superuser could: the append-only triggers off, one row edited
			await vault.db.transaction(async (tx) => {
				await tx.query('SET LOCAL session_replication_role = replica');
				await tx.query('UPDATE audit_log SET status_code = 299 WHERE id = 2');
			});
		} finally {
			await vault.db.close();
		}
		const file = join(work, 'tampered.backup');
		expect((await runCli(['backup', '--output', file], source)).code).toBe(0);
		const verify = await runCli(['backup', 'verify', file], source);
		expect(verify.code).toBe(1);
		expect(verify.stdout).toContain('Audit chain: FAILED at row 2 (edited)');
		expect(verify.stdout).toContain('Backup FAILED.');
	});

	if (backend === 'pglite') {
		it('says what to do when serve holds the embedded database', async () => {
			const serve = await startServe({ ...source, PORT: '0' });
			try {
				const backup = await runCli(['backup', '--output', join(work, 'busy.backup')], source);
				expect(backup.code).toBe(1);
				expect(backup.stderr).toMatch(
					/in use by process \d+ \(otobot-vault serve\).*stop that process/,
				);
			} finally {
				await serve.stop();
			}
		});
	}
});

describe('finding pg_dump for the server', () => {
	let noTools: string;
	const fakeTool = (major: string) => {
		const dir = tempDir('otobot-fake-pg-');
		const path = join(dir, 'pg_dump');
		writeFileSync(path, `#!/bin/sh\necho "pg_dump (PostgreSQL) ${major}"\n`);
		chmodSync(path, 0o755);
		return dir;
	};
	beforeAll(() => {
		noTools = tempDir('otobot-no-pg-');
	});

	it('says pg_dump is missing, and what to install, when PATH has none', async () => {
		const found = findPostgresTool('pg_dump', 15, { path: noTools, postgresRoot: noTools });
		await expect(found).rejects.toThrow(PostgresToolMissing);
		await expect(found).rejects.toThrow(
			/^pg_dump not found .*install the PostgreSQL 15 client .*postgresql-client-15\)$/,
		);
	});

	it('refuses a pg_dump older than the server, naming its version', async () => {
		const old = fakeTool('13.9');
		await expect(
			findPostgresTool('pg_dump', 15, { path: old, postgresRoot: noTools }),
		).rejects.toThrow(`pg_dump is older than the PostgreSQL 15 server (${old}/pg_dump is 13)`);
	});

	it("takes the server's own version over a newer one, and a newer one over none", async () => {
		const newer = fakeTool('16.2');
		const same = fakeTool('15.4');
		const search = { path: [newer, same].join(':'), postgresRoot: noTools };
		expect(await findPostgresTool('pg_dump', 15, search)).toEqual({
			path: join(same, 'pg_dump'),
			major: 15,
		});
		expect(await findPostgresTool('pg_dump', 15, { ...search, path: newer })).toEqual({
			path: join(newer, 'pg_dump'),
			major: 16,
		});
	});
});
