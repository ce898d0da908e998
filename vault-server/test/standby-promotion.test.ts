import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { startServe, type ServeProcess } from './helpers/cli.js';
import { expectNothingLost } from './helpers/nothing-lost.js';
import { admin, internal, RequestLoad } from './helpers/request-load.js';
import { runsHere } from './helpers/skips.js';
import { throwawayStandbyMissing, ThrowawayPostgres } from './helpers/throwaway-postgres.js';
import { ADMIN_TOKEN, INTERNAL_TOKEN, TEST_MASTER_KEY } from './helpers/vault-app.js';

vi.setConfig({ testTimeout: 300_000 });

const WORKERS = 4;
const ACKNOWLEDGED_AFTER = 2;
/** Issue 17 §3: the vault serves writes again this soon after the promotion, without a restart. */
const WRITES_AGAIN_BOUND = { timeout: 30_000, interval: 50 } as const;

const metricsText = async (base: string) =>
	(await fetch(`${base}/metrics`, { headers: admin })).text();
const cacheListening = async (base: string) =>
	Number(/^otobot_vault_fetch_cache_listening (\d+)/m.exec(await metricsText(base))?.[1]);
const cacheHits = async (base: string) =>
	Number(
		/^otobot_vault_fetch_cache_lookups_total\{result="hit"\} (\d+)/m.exec(
			await metricsText(base),
		)?.[1] ?? 0,
	);
const fetchProbe = (base: string) =>
	fetch(`${base}/v1/credentials/cache-probe/openai`, { headers: internal });

/**
 * A primary and a synchronous streaming standby made by the test (PostgreSQL's own replication),
 * one `serve` process with both hosts in DATABASE_URL and target_session_attrs=read-write, under
 * writes and fetches while the primary crashes and the standby is promoted (issue 17 §3).
 */
const runs = runsHere('the standby promotion test', throwawayStandbyMissing());

describe.runIf(runs)('a standby promoted under load', () => {
	let primary: ThrowawayPostgres;
	let standby: ThrowawayPostgres;
	let vault: ServeProcess;
	let env: Record<string, string>;

	beforeAll(async () => {
		primary = await ThrowawayPostgres.create();
		standby = await ThrowawayPostgres.standbyOf(primary, 'vault_standby');
		// after the copy, so the promoted standby does not wait for a standby of its own
		const db = openPostgresDatabase({ url: primary.url, poolSize: 1 });
		try {
			await db.query("ALTER SYSTEM SET synchronous_standby_names = 'vault_standby'");
			await db.query('SELECT pg_reload_conf()');
			await vi.waitFor(async () => {
				const rows = await db.query<{ sync_state: string }>(
					'SELECT sync_state FROM pg_stat_replication',
				);
				expect(rows.map((row) => row.sync_state)).toEqual(['sync']);
			}, WAIT_BOUND);
		} finally {
			await db.close();
		}
		env = {
			DATABASE_URL:
				// the standby first: the driver must pass it over while it is one, not settle on it
				`postgres://postgres@127.0.0.1:${standby.port},127.0.0.1:${primary.port}/postgres` +
				'?target_session_attrs=read-write',
			ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
			ADMIN_API_TOKEN: ADMIN_TOKEN,
			INTERNAL_API_TOKEN: INTERNAL_TOKEN,
			VAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'otobot-standby-')),
			PORT: '0',
			RATE_LIMIT_MAX: '1000000',
			AUTH_FAILURE_LIMIT: '1000000',
			REFRESHER_INTERVAL_SECONDS: '1',
			DATABASE_POOL_SIZE: '4',
			// only a notification can empty the cache within the test
			FETCH_CACHE_SECONDS: '3600',
		};
		vault = await startServe(env);
	});
	afterAll(async () => {
		await vault?.stop();
		await primary?.destroy();
		await standby?.destroy();
	});

	it('serves writes again after the promotion, loses nothing acknowledged, and its cache listens again', async () => {
		for (const [path, body] of [
			['/v1/clients', { id: 'cache-probe', name: 'Cache probe' }],
			['/v1/clients/cache-probe/connections/openai', { api_key: 'sk-probe' }],
		] as const) {
			const response = await fetch(`${vault.url}${path}`, {
				method: path.endsWith('openai') ? 'PUT' : 'POST',
				headers: admin,
				body: JSON.stringify(body),
			});
			expect(response.status).toBeLessThan(300);
		}
		const load = new RequestLoad(() => vault.url, WORKERS);
		await load.start();
		await load.waitFor(60);

		await primary.crash();
		const crashedAt = Date.now();
		await standby.promote();
		const promotedAt = Date.now();
		await vi.waitFor(() => {
			const since = load.outcomes.filter((o) => o.startedAt > promotedAt);
			expect(
				since.filter((o) => o.kind === 'store' && o.status >= 200 && o.status < 300).length,
				`answers since the promotion: ${since.map((o) => `${o.kind} ${o.status} ${o.code ?? ''}`).join(', ')}; ` +
					`the vault's last output: ${vault.output().slice(-3000)}`,
			).toBeGreaterThan(0);
		}, WRITES_AGAIN_BOUND);
		const firstWrite = Math.min(
			...load
				.acknowledged('store')
				.filter((o) => o.startedAt > promotedAt)
				.map((o) => o.startedAt + o.ms),
		);
		// every loop has its writes acknowledged again, not just some
		await vi.waitFor(() => {
			for (let worker = 0; worker < WORKERS; worker += 1)
				expect(
					load.acknowledged('store').filter((o) => o.worker === worker && o.startedAt > promotedAt)
						.length,
				).toBeGreaterThanOrEqual(ACKNOWLEDGED_AFTER);
		}, WAIT_BOUND);
		await load.stop();
		expect(vault.child.exitCode).toBeNull();

		const between = load.outcomes.filter(
			(o) => o.startedAt + o.ms >= crashedAt && o.startedAt <= firstWrite,
		);
		const codes = [...new Set(between.map((o) => `${o.status} ${o.code ?? ''}`.trim()))];
		console.info(
			`[figures] standby promotion: primary crashed, standby promoted in ${promotedAt - crashedAt} ms; ` +
				`first write acknowledged ${firstWrite - promotedAt} ms after the promotion ` +
				`(${firstWrite - crashedAt} ms after the crash); meanwhile ${between.length} answers: ` +
				`${codes.join(', ')}; ${load.acknowledged().length} of ${load.outcomes.length} requests acknowledged`,
		);
		// no request went unanswered (status 0: the load's own bound on an answer ran out)
		expect(load.outcomes.filter((o) => o.status === 0)).toEqual([]);
		expect(load.outcomes.filter((o) => o.status >= 500 && o.status !== 503)).toEqual([]);

		const db = openPostgresDatabase({ url: standby.url, poolSize: 1 });
		try {
			await expectNothingLost(vault.url, db, load, env, WORKERS);

			// the listener subscribed again, on the new primary: a change made there empties the cache
			await vi.waitFor(async () => expect(await cacheListening(vault.url)).toBe(1), WAIT_BOUND);
			expect((await fetchProbe(vault.url)).status).toBe(200);
			const hits = await cacheHits(vault.url);
			expect((await fetchProbe(vault.url)).status).toBe(200);
			expect(await cacheHits(vault.url)).toBe(hits + 1);
			await db.query(
				"DELETE FROM connections WHERE client_id = 'cache-probe' AND service = 'openai'",
			);
			await vi.waitFor(
				async () => expect((await fetchProbe(vault.url)).status).toBe(404),
				WAIT_BOUND,
			);
		} finally {
			await db.close();
		}
	});
});
