import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasTestPostgres } from './helpers/databases.js';

const SCRIPT = fileURLToPath(new URL('../scripts/soak-multiprocess.mjs', import.meta.url));
/** Work the short run must do: fetches, and provider refresh calls (tokens live 6 s). */
const FETCHES = 1000;
const REFRESH_CALLS = 60;
/** The bound on the run, for a busy machine; on an idle one the work takes about 20 s. */
const BOUND_SECONDS = 240;

interface SoakReport {
	ok: boolean;
	fetches: number;
	provider_refresh_calls: number;
	checks: { ok: boolean; what: string }[];
}

/**
 * The short run of scripts/soak-multiprocess.mjs (two `serve` processes and a `refresher` on one
 * database, tokens expiring every 6 s, single-use refresh tokens); the script runs minutes by hand.
 */
describe.runIf(hasTestPostgres('the multi-process soak'))('multi-process soak, short run', () => {
	it(
		`${FETCHES} fetches, ${REFRESH_CALLS} refreshes: no failed fetch, no duplicate refresh, no lost update, the audit chain verifies`,
		async () => {
			const { code, stdout, stderr } = await new Promise<{
				code: number;
				stdout: string;
				stderr: string;
			}>((resolve) => {
				execFile(
					process.execPath,
					[
						SCRIPT,
						...['--seconds', String(BOUND_SECONDS), '--until-fetches', String(FETCHES)],
						...['--until-refresh-calls', String(REFRESH_CALLS)],
					],
					{
						env: {
							PATH: process.env.PATH ?? '',
							TEST_DATABASE_URL: process.env.TEST_DATABASE_URL!,
						},
						timeout: (BOUND_SECONDS + 120) * 1000,
						killSignal: 'SIGKILL',
					},
					(error, out, err) =>
						resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out, stderr: err }),
				);
			});
			const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as SoakReport;
			console.info(`[figures] ${stdout.trim().split('\n').at(-1)}`);
			expect(report.checks.filter((check) => !check.ok)).toEqual([]);
			expect(report.ok, stderr).toBe(true);
			expect(code).toBe(0);
			// the work was done (the script ran until it was, within its bound): not a rate
			expect(report.fetches).toBeGreaterThanOrEqual(FETCHES);
			expect(report.provider_refresh_calls).toBeGreaterThanOrEqual(REFRESH_CALLS);
		},
		(BOUND_SECONDS + 180) * 1000,
	);
});
