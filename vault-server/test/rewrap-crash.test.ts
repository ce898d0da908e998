import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Keyring } from '../src/crypto/keyring.js';
import { encryptionKeysStore } from '../src/storage/encryption-keys-store.js';
import { openCredentialSecret, openRefreshToken } from '../src/domain/connection-secrets.js';
import type { Database } from '../src/storage/database.js';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { openVault, type OpenedVault } from '../src/vault.js';
import { createPostgresDatabase, hasTestPostgres } from './helpers/databases.js';
import { CLI, runCli } from './helpers/cli.js';
import { TEST_MASTER_KEY, testConfig } from './helpers/vault-app.js';

const ROWS = 300;
const clientOf = (i: number) => `client-${String(i).padStart(3, '0')}`;

async function seed(db: Database, vault: OpenedVault) {
	const service = vault.keyring.encrypt(
		'crm-app-secret',
		JSON.stringify(['service', 'crm', 'oauth_client_secret']),
	);
	await db.query(
		"INSERT INTO services (name, display_name, oauth_type, oauth_client_secret_ciphertext) VALUES ('crm', 'CRM', 'oauth2', $1)",
		[service.ciphertext],
	);
	const ids = Array.from({ length: ROWS }, (_, i) => clientOf(i));
	await db.query('INSERT INTO clients (id, name) SELECT id, id FROM unnest($1::text[]) AS id', [
		ids,
	]);
	const { sealConnectionSecrets } = await import('../src/domain/connection-secrets.js');
	for (const id of ids) {
		const sealed = sealConnectionSecrets(
			vault.keyring,
			id,
			'crm',
			{ access_token: `at-${id}` },
			`rt-${id}`,
		);
		await db.query(
			`INSERT INTO connections (client_id, service, credential_ciphertext, refresh_token_ciphertext, key_version)
			 VALUES ($1, 'crm', $2, $3, $4)`,
			[id, sealed.credentialCiphertext, sealed.refreshTokenCiphertext, sealed.keyVersion],
		);
	}
}

async function expectEveryCredentialOpens(db: Database) {
	const keyring = await Keyring.open(encryptionKeysStore(db), Buffer.from(TEST_MASTER_KEY, 'hex'));
	const rows = await db.query<{
		client_id: string;
		credential_ciphertext: Uint8Array;
		refresh_token_ciphertext: Uint8Array;
	}>(
		'SELECT client_id, credential_ciphertext, refresh_token_ciphertext FROM connections ORDER BY client_id',
	);
	expect(rows).toHaveLength(ROWS);
	for (const row of rows) {
		expect(
			(await openCredentialSecret(keyring, row.client_id, 'crm', row.credential_ciphertext))
				.access_token,
		).toBe(`at-${row.client_id}`);
		expect(
			await openRefreshToken(keyring, row.client_id, 'crm', row.refresh_token_ciphertext),
		).toBe(`rt-${row.client_id}`);
	}
}

describe.runIf(hasTestPostgres('the rewrap crash checks'))(
	'keys rewrap killed with SIGKILL on PostgreSQL',
	() => {
		let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
		let db: Database;
		let env: Record<string, string>;

		beforeAll(async () => {
			database = await createPostgresDatabase();
			db = openPostgresDatabase({ url: database.url, poolSize: 3 });
			env = {
				DATABASE_URL: database.url,
				ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
				VAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'otobot-keys-')),
			};
			await seed(db, await openVault(testConfig({ DATABASE_URL: database.url }), { db }));
		});
		afterAll(async () => {
			await db?.close();
			await database?.drop();
		});

		const onVersion = async (version: number) =>
			(
				await db.query<{ n: number }>(
					'SELECT count(*)::int AS n FROM connections WHERE key_version = $1',
					[version],
				)
			)[0]!.n;

		it('resumes where it was killed: every credential opens and the counts add up', async () => {
			const rotate = await runCli(['keys', 'rotate'], env);
			expect(rotate.code).toBe(0);
			expect(rotate.stdout).toContain(
				'Data key version 2 is now active (version 1 is decrypt-only)',
			);

			const child = spawn(
				process.execPath,
				[CLI, 'keys', 'rewrap', '--batch', '1', '--pause-ms', '5'],
				{
					env: { PATH: process.env.PATH ?? '', ...env },
					stdio: 'ignore',
				},
			);
			const exited = new Promise<NodeJS.Signals | null>((resolve) =>
				child.once('exit', (_code, signal) => resolve(signal)),
			);
			await vi.waitFor(async () => expect(await onVersion(2)).toBeGreaterThanOrEqual(40), {
				timeout: 20_000,
				interval: 10,
			});
			child.kill('SIGKILL');
			expect(await exited).toBe('SIGKILL');

			const doneBeforeKill = await onVersion(2);
			expect(doneBeforeKill).toBeLessThan(ROWS);
			expect(doneBeforeKill + (await onVersion(1))).toBe(ROWS);
			await expectEveryCredentialOpens(db);

			const status = JSON.parse((await runCli(['keys', 'status', '--json'], env)).stdout);
			expect(status.not_on_active).toBe((ROWS - doneBeforeKill) * 2 + 1);

			const rerun = await runCli(['keys', 'rewrap', '--batch', '50'], env);
			expect(rerun.code).toBe(0);
			expect(rerun.stdout).toContain(
				`Rewrapped ${ROWS - doneBeforeKill + 1} row(s), ${(ROWS - doneBeforeKill) * 2 + 1} ciphertext(s), to key version 2; 0 row(s) left`,
			);
			await expectEveryCredentialOpens(db);

			const after = JSON.parse((await runCli(['keys', 'status', '--json'], env)).stdout);
			expect(after.not_on_active).toBe(0);
			expect(
				after.keys.map((key: { version: number; ciphertexts: number }) => [
					key.version,
					key.ciphertexts,
				]),
			).toEqual([
				[1, 0],
				[2, ROWS * 2 + 1],
			]);

			const active = await runCli(['keys', 'retire', '2'], env);
			expect(active.code).toBe(1);
			expect(active.stderr).toContain('KEY_VERSION_ACTIVE');
			// the active key's age decides, so each case sets it rather than racing the clock
			const activeSince = (age: string) =>
				db.query(`UPDATE encryption_keys SET created_at = now() - $1::interval WHERE version = 2`, [
					age,
				]);
			await activeSince('0 seconds');
			const tooRecent = await runCli(['keys', 'retire', '1'], env);
			expect(tooRecent.code).toBe(1);
			expect(tooRecent.stderr).toContain('KEY_ROTATION_TOO_RECENT');
			await activeSince('1 hour');
			const retired = await runCli(['keys', 'retire', '1'], env);
			expect(retired.code).toBe(0);
			expect(retired.stdout).toContain('Key version 1 is retired.');
			const [key] = await db.query<{ status: string }>(
				'SELECT status FROM encryption_keys WHERE version = 1',
			);
			expect(key!.status).toBe('retired');
		});

		it('rotates the master key from ENCRYPTION_MASTER_KEY_PREVIOUS and says the old one can go', async () => {
			const newKey = 'c0'.repeat(32);
			const rotated = await runCli(['migrate'], {
				...env,
				ENCRYPTION_MASTER_KEY: newKey,
				ENCRYPTION_MASTER_KEY_PREVIOUS: TEST_MASTER_KEY,
			});
			expect(rotated.code).toBe(0);
			expect(rotated.stderr).toContain('ENCRYPTION_MASTER_KEY_PREVIOUS is no longer needed');
			expect(rotated.stderr + rotated.stdout).not.toContain(newKey);
			const old = await runCli(['keys', 'status'], env);
			expect(old.code).toBe(1);
			expect(old.stderr).toContain('ENCRYPTION_MASTER_KEY cannot open data key version');
			expect(
				(await runCli(['keys', 'status'], { ...env, ENCRYPTION_MASTER_KEY: newKey })).code,
			).toBe(0);
		});
	},
);
