import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, stopChildren } from './helpers/cli.js';
import {
	backends,
	createPostgresDatabase,
	hasTestPostgres,
	openTestDatabase,
} from './helpers/databases.js';
import { ensureAdminToken } from '../src/bootstrap-admin.js';
import { createApiToken } from '../src/domain/api-tokens.js';
import { apiTokensStore } from '../src/storage/api-tokens-store.js';
import { migrate, readMigrations } from '../src/storage/migrations.js';
import { migrationsDirectory } from '../src/storage/sql-directory.js';
import { TEST_MASTER_KEY } from './helpers/vault-app.js';

const hasPostgres = hasTestPostgres('the bootstrap-token checks on PostgreSQL');
const dataDir = () => mkdtempSync(join(tmpdir(), 'otobot-bootstrap-'));
const tokenIn = (dir: string) => readFileSync(join(dir, 'admin-token'), 'utf8').trim();

afterEach(stopChildren);

interface TokenInfo {
	id: string;
	scope: string;
	revoked_at: string | null;
}

async function listTokens(url: string, token: string): Promise<TokenInfo[]> {
	const answer = await fetch(`${url}/v1/tokens`, { headers: { authorization: `Bearer ${token}` } });
	expect(answer.status).toBe(200);
	return ((await answer.json()) as { tokens: TokenInfo[] }).tokens;
}

/**
 * Starts `serve`, revokes the bootstrap token it minted through the API, restarts: the second
 * start must mint nothing and say how to create an admin token.
 */
async function revokeThenRestart(env: Record<string, string>) {
	const first = await startServe(env);
	const token = tokenIn(env.VAULT_DATA_DIR!);
	const [bootstrap] = await listTokens(first.url, token);
	const revoked = await fetch(`${first.url}/v1/tokens/${bootstrap!.id}`, {
		method: 'DELETE',
		headers: { authorization: `Bearer ${token}` },
	});
	expect(revoked.status).toBe(204);
	await first.stop();

	const second = await startServe(env);
	expect(second.output()).toContain('otobot-vault token create --name <name> --scope admin');
	expect(tokenIn(env.VAULT_DATA_DIR!)).toBe(token);
	const answer = await fetch(`${second.url}/v1/clients`, {
		headers: { authorization: `Bearer ${token}` },
	});
	expect(answer.status).toBe(401);
	await second.stop();
}

describe('the bootstrap admin token is minted once in the database life', () => {
	it('embedded: revoking it and restarting mints no new token', async () => {
		await revokeThenRestart({ VAULT_DATA_DIR: dataDir(), PORT: '0', REFRESHER_ENABLED: 'false' });
	}, 180_000);

	it.runIf(hasPostgres)(
		'PostgreSQL, production, no ADMIN_API_TOKEN: revoking it and restarting mints no new token',
		async () => {
			const database = await createPostgresDatabase();
			try {
				await revokeThenRestart({
					NODE_ENV: 'production',
					PUBLIC_URL: 'http://127.0.0.1',
					DATABASE_URL: database.url,
					ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
					VAULT_DATA_DIR: dataDir(),
					PORT: '0',
					REFRESHER_ENABLED: 'false',
				});
			} finally {
				await stopChildren();
				await database.drop();
			}
		},
		180_000,
	);

	it('a restart while it is still active says again where it is; once revoked, it says no more', async () => {
		const env = { VAULT_DATA_DIR: dataDir(), PORT: '0', REFRESHER_ENABLED: 'false' };
		const first = await startServe(env);
		const token = tokenIn(env.VAULT_DATA_DIR);
		await first.stop();
		const second = await startServe(env);
		const file = join(env.VAULT_DATA_DIR, 'admin-token');
		expect(second.output()).toContain(`still active. Read it with: cat ${file}`);
		expect(second.output()).not.toContain(token);
		const [bootstrap] = await listTokens(second.url, token);
		await fetch(`${second.url}/v1/tokens/${bootstrap!.id}`, {
			method: 'DELETE',
			headers: { authorization: `Bearer ${token}` },
		});
		await second.stop();
		const third = await startServe(env);
		expect(third.output()).not.toContain('still active');
		await third.stop();
	}, 180_000);

	it('an admin-token file of another database is left as it is; the new token goes to a 0600 file of its own', async () => {
		const dir = dataDir();
		const path = join(dir, 'admin-token');
		writeFileSync(path, 'an old token from another database\n');
		chmodSync(path, 0o644);
		const vault = await startServe({ VAULT_DATA_DIR: dir, PORT: '0', REFRESHER_ENABLED: 'false' });
		expect(readFileSync(path, 'utf8')).toBe('an old token from another database\n');
		const own = join(dir, 'admin-token-embedded');
		expect(vault.output()).toContain(`Read it with: cat ${own}`);
		expect(statSync(own).mode & 0o777).toBe(0o600);
		const answer = await fetch(`${vault.url}/v1/clients`, {
			headers: { authorization: `Bearer ${readFileSync(own, 'utf8').trim()}` },
		});
		expect(answer.status).toBe(200);
	}, 180_000);

	it.runIf(hasPostgres)(
		"a PostgreSQL vault started from the embedded vault's folder keeps the embedded token file",
		async () => {
			const database = await createPostgresDatabase();
			try {
				const dir = dataDir();
				const embeddedEnv = { VAULT_DATA_DIR: dir, PORT: '0', REFRESHER_ENABLED: 'false' };
				const embedded = await startServe(embeddedEnv);
				const embeddedToken = tokenIn(dir);
				await embedded.stop();

				const postgresEnv = {
					...embeddedEnv,
					NODE_ENV: 'production',
					PUBLIC_URL: 'http://127.0.0.1',
					DATABASE_URL: database.url,
					ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
				};
				const first = await startServe(postgresEnv);
				const own = join(dir, `admin-token-${new URL(database.url).pathname.slice(1)}`);
				expect(first.output()).toContain(`Read it with: cat ${own}`);
				expect(tokenIn(dir)).toBe(embeddedToken);
				const postgresToken = readFileSync(own, 'utf8').trim();
				expect((await listTokens(first.url, postgresToken)).length).toBe(1);
				await first.stop();

				const again = await startServe(postgresEnv);
				expect(again.output()).toContain(`still active. Read it with: cat ${own}`);
				await again.stop();

				const back = await startServe(embeddedEnv);
				expect((await listTokens(back.url, embeddedToken)).length).toBe(1);
				await back.stop();
			} finally {
				await stopChildren();
				await database.drop();
			}
		},
		180_000,
	);
});

describe.each(backends())('a database from before the bootstrap record, on %s', (backend) => {
	it('whose bootstrap token was revoked already: the upgrade records it, and nothing is minted', async () => {
		const { db, dispose } = await openTestDatabase(backend);
		try {
			const migrations = readMigrations(migrationsDirectory());
			await migrate(
				db,
				migrations.filter((migration) => migration.version < 9),
			);
			const { row } = await createApiToken(db, { name: 'bootstrap admin', scope: 'admin' });
			await apiTokensStore(db).revoke(row.id);
			await migrate(db, migrations);

			const dir = dataDir();
			const answer = await ensureAdminToken(db, { environmentAdmins: 0, dataDir: dir });
			expect(answer).toEqual({ noAdminLeft: true });
			expect(existsSync(join(dir, 'admin-token'))).toBe(false);
			expect(await apiTokensStore(db).countActiveAdmins()).toBe(0);
		} finally {
			await dispose();
		}
	});
});
