import { appendFileSync } from 'node:fs';

/**
 * Whether a check that needs something this machine may lack runs here.
 *
 * `missing` is undefined when everything is here (the check runs), else the reason it cannot run.
 * Under CI (`CI` set to anything but `false`) a missing prerequisite is a failure: it throws, so
 * the run goes red instead of passing without the check. Elsewhere the skip is recorded in the
 * file vitest.config.ts names in `OTOBOT_SKIP_LOG` (one JSON line: what, why, file), and the skip
 * summary reporter prints every recorded skip in one line at the end of the run.
 *
 * @param what - the check, as a reader of the summary would name it ("docker compose config")
 * @param missing - why it cannot run here, or undefined
 * @returns true when the check runs
 * @throws Error under CI when `missing` is set
 */
export function runsHere(what: string, missing: string | undefined): boolean {
	if (missing === undefined) return true;
	if (underCi()) throw new Error(`CI is set but ${what} cannot run here: ${missing}`);
	const log = process.env.OTOBOT_SKIP_LOG;
	if (log) appendFileSync(log, `${JSON.stringify({ what, why: missing, file: testFile() })}\n`);
	else console.warn(`skipped: ${what} (${missing})`);
	return false;
}

/**
 * Whether a test of a known, open defect is held back from this run. It is, unless
 * `OTOBOT_HELD_BACK=run`, and CI does not change that: a test that fails part of the time because
 * of a defect not yet fixed would make every run red at random. Each held-back test is named, with
 * its reason, in the summary line at the end of the run, so a green run never hides it.
 *
 * @param what - the check, as a reader of the summary would name it
 * @param defect - the open defect, and where it is written down
 * @returns true when the test is held back (skip it)
 */
export function heldBack(what: string, defect: string): boolean {
	if (process.env.OTOBOT_HELD_BACK === 'run') return false;
	const log = process.env.OTOBOT_SKIP_LOG;
	const entry = { what, why: defect, file: testFile(), heldBack: true };
	if (log) appendFileSync(log, `${JSON.stringify(entry)}\n`);
	else console.warn(`held back: ${what} (${defect})`);
	return true;
}

/** CI systems set CI=true (GitHub Actions, GitLab, .ci/run); CI=false or empty means a person. */
export const underCi = () => Boolean(process.env.CI) && process.env.CI !== 'false';

/** The test file that asked, from the caller's stack (vitest runs one file per worker at a time). */
function testFile(): string {
	const frame = new Error().stack?.split('\n').find((line) => /\.test\.ts/.test(line));
	return frame?.match(/([\w.-]+\.test\.ts)/)?.[1] ?? 'unknown file';
}
