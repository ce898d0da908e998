import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { startProcess, startServe, type ServeProcess } from './helpers/cli.js';
import { expectNothingLost } from './helpers/nothing-lost.js';
import { RequestLoad } from './helpers/request-load.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { runsHere } from './helpers/skips.js';
import { throwawayPostgresMissing, ThrowawayPostgres } from './helpers/throwaway-postgres.js';
import { ADMIN_TOKEN, INTERNAL_TOKEN, TEST_MASTER_KEY } from './helpers/vault-app.js';

const WORKERS = 6;
/** Answers each request loop must get while PostgreSQL is down, and again once it is back. */
const ANSWERS_DURING_OUTAGE = 3;
const ACKNOWLEDGED_AFTER = 2;
const OUTAGE_BOUND = { timeout: 120_000, interval: 50 } as const;

const healthStatus = async (base: string) => (await fetch(`${base}/health`)).status;

/**
 * A real `serve` process (and a `refresher` process beside it) on a PostgreSQL cluster of the test's own (the shared server other test
 * files use is never stopped), under writes and fetches while the cluster stops and starts again.
 */
const runs = runsHere('the PostgreSQL restart test', throwawayPostgresMissing());

describe.runIf(runs)('PostgreSQL restarted under load', () => {
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
		await vault?.stop();
		await refresher?.stop();
		await cluster?.destroy();
	});

	it('answers 503 during the outage, serves again after it, and loses nothing acknowledged', async () => {
		const load = new RequestLoad(() => vault.url, WORKERS);
		await load.start();
		await load.waitFor(100);

		await cluster.stop();
		// once the vault itself says the database is down, every answer until the restart is a 503
		expect(await healthStatus(vault.url)).toBe(503);
		const outageKnown = Date.now();
		const answeredDuringOutage = (worker: number) =>
			load.outcomes.filter((o) => o.worker === worker && o.startedAt >= outageKnown).length;
		// each answer may wait out the pool's connection bound (3 s) and a busy machine's scheduling:
		// the outage lasts until every loop has its answers, bounded against a hang only
		await vi.waitFor(() => {
			for (let worker = 0; worker < WORKERS; worker += 1)
				expect(answeredDuringOutage(worker)).toBeGreaterThanOrEqual(ANSWERS_DURING_OUTAGE);
		}, OUTAGE_BOUND);
		const outageEnded = Date.now();
		await cluster.start();
		await vi.waitFor(async () => expect(await healthStatus(vault.url)).toBe(200), WAIT_BOUND);
		const served = load.outcomes.length;
		// every loop has its writes acknowledged again, not just some
		await vi.waitFor(() => {
			for (let worker = 0; worker < WORKERS; worker += 1)
				expect(
					load.acknowledged().filter((o) => o.worker === worker && o.startedAt > outageEnded)
						.length,
				).toBeGreaterThanOrEqual(ACKNOWLEDGED_AFTER);
		}, WAIT_BOUND);
		await load.stop();

		const during = load.outcomes.filter(
			(o) => o.startedAt >= outageKnown && o.startedAt + o.ms <= outageEnded,
		);
		// every loop kept asking through the outage and got its answers
		expect(new Set(during.map((o) => o.worker)).size).toBe(WORKERS);
		const codes = new Set(during.map((o) => `${o.status} ${o.code}`));
		expect(
			[...codes].filter((c) => c !== '503 DATABASE_UNAVAILABLE' && c !== '503 AUDIT_UNAVAILABLE'),
		).toEqual([]);
		// no request went unanswered (status 0: the load's own bound on an answer ran out)
		expect(load.outcomes.filter((o) => o.status === 0)).toEqual([]);
		expect(vault.child.exitCode).toBeNull();
		expect(refresher.child.exitCode).toBeNull();
		expect(load.outcomes.length).toBeGreaterThan(served);
		console.info(
			`[figures] outage: ${during.length} requests answered 503, slowest ` +
				`${Math.max(...during.map((o) => o.ms))} ms; ` +
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
