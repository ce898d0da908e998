import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { startProcess, startServe, type ServeProcess } from './helpers/cli.js';
import { expectNothingLost } from './helpers/nothing-lost.js';
import { RequestLoad } from './helpers/request-load.js';
import { canRunThrowawayPostgres, ThrowawayPostgres } from './helpers/throwaway-postgres.js';
import { ADMIN_TOKEN, INTERNAL_TOKEN, TEST_MASTER_KEY } from './helpers/vault-app.js';

const WORKERS = 6;
const OUTAGE_MS = 4000;
/** A bound, not a benchmark: an answer that takes longer is a hang. */
const ANSWER_BOUND_MS = 5000;

const health = async (base: string) => {
	const started = Date.now();
	const response = await fetch(`${base}/health`);
	return { status: response.status, ms: Date.now() - started };
};

/**
 * A real `serve` process (and a `refresher` process beside it) on a PostgreSQL cluster of the test's own (the shared server other test
 * files use is never stopped), under writes and fetches while the cluster stops and starts again.
 */
describe.runIf(canRunThrowawayPostgres())('PostgreSQL restarted under load', () => {
	let cluster: ThrowawayPostgres;
	let vault: ServeProcess;
	let refresher: ServeProcess;
	let env: Record<string, string>;

	beforeAll(async () => {
		cluster = await ThrowawayPostgres.create();
		env = {
			DATABASE_URL: cluster.url,
			ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
			ADMIN_API_TOKEN: ADMIN_TOKEN,
			INTERNAL_API_TOKEN: INTERNAL_TOKEN,
			VAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'otobot-pgrestart-')),
			PORT: '0',
			RATE_LIMIT_MAX: '1000000',
			AUTH_FAILURE_LIMIT: '1000000',
			REFRESHER_INTERVAL_SECONDS: '1',
			ALERT_EVALUATION_INTERVAL_SECONDS: '1',
			DATABASE_POOL_SIZE: '4',
		};
		vault = await startServe(env);
		refresher = await startProcess(['refresher'], env, /refresher started()/);
	});
	afterAll(async () => {
		vault?.child.kill('SIGKILL');
		refresher?.child.kill('SIGKILL');
		await cluster?.destroy();
	});

	it('answers 503 quickly during the outage, serves again after it, and loses nothing acknowledged', async () => {
		const load = new RequestLoad(() => vault.url, WORKERS);
		await load.start();
		await load.waitFor(100);

		await cluster.stop();
		const outageStarted = Date.now();
		const healthDuringOutage = await health(vault.url);
		await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
		const outageEnded = Date.now();
		await cluster.start();
		await vi.waitFor(async () => expect((await health(vault.url)).status).toBe(200), {
			timeout: 20_000,
			interval: 100,
		});
		const recovered = Date.now();
		const served = load.outcomes.length;
		await vi.waitFor(
			() =>
				expect(load.acknowledged().filter((o) => o.startedAt > outageEnded).length).toBeGreaterThan(
					50,
				),
			{ timeout: 20_000, interval: 100 },
		);
		await load.stop();

		expect(healthDuringOutage.status).toBe(503);
		expect(healthDuringOutage.ms).toBeLessThan(ANSWER_BOUND_MS);
		const during = load.outcomes.filter(
			(o) => o.startedAt >= outageStarted + 200 && o.startedAt + o.ms <= outageEnded,
		);
		// every loop kept asking through the outage and got its answers
		expect(new Set(during.map((o) => o.worker)).size).toBe(WORKERS);
		const codes = new Set(during.map((o) => `${o.status} ${o.code}`));
		expect(
			[...codes].filter((c) => c !== '503 DATABASE_UNAVAILABLE' && c !== '503 AUDIT_UNAVAILABLE'),
		).toEqual([]);
		expect(Math.max(...load.outcomes.map((o) => o.ms))).toBeLessThan(ANSWER_BOUND_MS);
		expect(load.outcomes.filter((o) => o.status === 0)).toEqual([]);
		expect(vault.child.exitCode).toBeNull();
		expect(refresher.child.exitCode).toBeNull();
		expect(load.outcomes.length).toBeGreaterThan(served);
		console.info(
			`[figures] outage ${OUTAGE_MS} ms: ${during.length} requests answered 503, slowest ` +
				`${Math.max(...during.map((o) => o.ms))} ms; health ${healthDuringOutage.ms} ms; ` +
				`serving again ${recovered - outageEnded} ms after the start; ` +
				`${load.acknowledged().length} of ${load.outcomes.length} requests acknowledged`,
		);

		const db = openPostgresDatabase({ url: cluster.url, poolSize: 1 });
		try {
			await expectNothingLost(vault.url, db, load, env, WORKERS);
		} finally {
			await db.close();
		}
	});
});
