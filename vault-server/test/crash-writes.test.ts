import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { startServe, type ServeProcess } from './helpers/cli.js';
import { createPostgresDatabase, hasTestPostgres } from './helpers/databases.js';
import { expectNothingLost } from './helpers/nothing-lost.js';
import { RequestLoad } from './helpers/request-load.js';
import { ADMIN_TOKEN, INTERNAL_TOKEN, TEST_MASTER_KEY } from './helpers/vault-app.js';

const WORKERS = 8;
const KILLS = 3;

/**
 * `serve` killed with SIGKILL while connection writes (PUT) and fetches are in flight, each of
 * them awaiting its audit row's commit: three kills at whatever point the load had reached, each
 * followed by a fresh process on the same database.
 */
describe.runIf(hasTestPostgres('the crash-writes test'))(
	'SIGKILL during writes and audit writes',
	() => {
		let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
		let env: Record<string, string>;
		let vault: ServeProcess;

		beforeAll(async () => {
			database = await createPostgresDatabase();
			env = {
				DATABASE_URL: database.url,
				ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
				ADMIN_API_TOKEN: ADMIN_TOKEN,
				INTERNAL_API_TOKEN: INTERNAL_TOKEN,
				VAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'otobot-crash-')),
				PORT: '0',
				RATE_LIMIT_MAX: '1000000',
				REFRESHER_ENABLED: 'false',
			};
			vault = await startServe(env);
		});
		afterAll(async () => {
			vault?.child.kill('SIGKILL');
			await database?.drop();
		});

		it('loses no acknowledged write, leaves no half-written row, and the audit chain verifies', async () => {
			const load = new RequestLoad(() => vault.url, WORKERS);
			await load.start();
			const killedAt: number[] = [];
			for (let kill = 0; kill < KILLS; kill += 1) {
				await load.waitFor(150 + kill * 37);
				const exited = new Promise((resolve) => vault.child.once('exit', resolve));
				vault.child.kill('SIGKILL');
				killedAt.push(Date.now());
				await exited;
				vault = await startServe(env);
				await load.waitFor(WORKERS);
			}
			await load.waitFor(100);
			await load.stop();

			// the kills cut requests off mid-flight; those were never acknowledged
			const inFlight = load.outcomes.filter(
				(o) =>
					o.status === 0 && killedAt.some((at) => o.startedAt <= at && o.startedAt + o.ms >= at),
			);
			expect(inFlight.length).toBeGreaterThanOrEqual(KILLS);
			const answered = load.outcomes.filter((o) => o.status !== 0);
			expect(answered.filter((o) => o.status >= 300)).toEqual([]);
			console.info(
				`[figures] ${KILLS} SIGKILLs: ${load.acknowledged().length} requests acknowledged, ` +
					`${inFlight.length} in flight when killed (${['store', 'fetch', 'create'].map((k) => `${inFlight.filter((o) => o.kind === k).length} ${k}`).join(', ')})`,
			);

			const db = openPostgresDatabase({ url: database.url, poolSize: 1 });
			try {
				await expectNothingLost(vault.url, db, load, env, WORKERS);
			} finally {
				await db.close();
			}
		});
	},
);
