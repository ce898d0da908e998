import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runsHere, underCi } from './helpers/skips.js';

// the guard every test with a prerequisite asks: a missing one fails CI and is a recorded skip
// elsewhere (CONTRIBUTING.md, "What did not run")
describe('runsHere, the guard of checks a machine may not be able to run', () => {
	const dirs: string[] = [];
	afterEach(() => {
		vi.unstubAllEnvs();
		for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
	});

	const skipLog = () => {
		const dir = mkdtempSync(join(tmpdir(), 'otobot-skips-'));
		dirs.push(dir);
		const file = join(dir, 'skips.jsonl');
		vi.stubEnv('OTOBOT_SKIP_LOG', file);
		return file;
	};

	it('under CI=true a missing prerequisite throws, naming the check and why', () => {
		vi.stubEnv('CI', 'true');
		expect(() => runsHere('the widget check', 'no widget here')).toThrow(
			'CI is set but the widget check cannot run here: no widget here',
		);
	});

	it('elsewhere it returns false and records what did not run, why and in which file', () => {
		vi.stubEnv('CI', 'false');
		const file = skipLog();
		expect(runsHere('the widget check', 'no widget here')).toBe(false);
		expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
			what: 'the widget check',
			why: 'no widget here',
			file: 'skips.test.ts',
		});
	});

	it('a prerequisite that is here runs, under CI too, and records nothing', () => {
		vi.stubEnv('CI', 'true');
		const file = skipLog();
		expect(runsHere('the widget check', undefined)).toBe(true);
		expect(() => readFileSync(file)).toThrow(/ENOENT/);
	});

	it('counts CI as set for any value but empty and false', () => {
		for (const [value, set] of [
			['true', true],
			['1', true],
			['false', false],
			['', false],
		] as const) {
			vi.stubEnv('CI', value);
			expect(underCi(), `CI=${JSON.stringify(value)}`).toBe(set);
		}
	});
});
