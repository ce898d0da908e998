import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasTestPostgres } from './helpers/databases.js';

const SCRIPT = fileURLToPath(new URL('../scripts/soak-multiprocess.mjs', import.meta.url));
const SECONDS = 20;

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
	it(`${SECONDS} s: no failed fetch, no duplicate refresh, no lost update, the audit chain verifies`, async () => {
		const { code, stdout, stderr } = await new Promise<{
			code: number;
			stdout: string;
			stderr: string;
		}>((resolve) => {
			execFile(
				process.execPath,
				[SCRIPT, '--seconds', String(SECONDS)],
				{
					env: { PATH: process.env.PATH ?? '', TEST_DATABASE_URL: process.env.TEST_DATABASE_URL! },
					timeout: 120_000,
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
		expect(report.fetches).toBeGreaterThan(1000);
		// tokens live 6 s and are renewed at half-life: each of the 20 connections several times
		expect(report.provider_refresh_calls).toBeGreaterThan(60);
	}, 120_000);
});
