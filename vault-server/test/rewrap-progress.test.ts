import { describe, expect, it } from 'vitest';
import { rewrapProgress } from '../src/cli/rewrap-progress.js';
import { rewrapState, runProgress } from '../src/domain/rewrap-progress.js';
import type { RewrapTotals } from '../src/domain/rewrap.js';

const totals = (rewrapped: number, total: number, failed = 0): RewrapTotals => ({
	target: 2,
	total,
	rewrapped,
	ciphertexts: rewrapped * 2,
	failed: Array.from({ length: failed }, (_, i) => ({
		location: 'connections',
		key: { n: `${i}` },
	})),
	remaining: 0,
	interrupted: false,
});

const pipe = () => {
	const written: string[] = [];
	return { written, out: { isTTY: false, write: (text: string) => written.push(text) } };
};

// the figures `keys rewrap` prints and GET /v1/keys answers come from one place (domain)
describe('rewrap progress', () => {
	it("counts a run's rewrapped and failed rows out of the rows stale at its start", () => {
		expect(runProgress(totals(3, 10, 1))).toEqual({ done: 4, total: 10, ratio: 0.4 });
		expect(runProgress(totals(0, 0))).toEqual({ done: 0, total: 0, ratio: 1 });
		// rows written stale during the run can make done pass the first count: never above 1
		expect(runProgress(totals(12, 10))).toEqual({ done: 12, total: 12, ratio: 1 });
	});

	it('prints a line per tenth of the work when the output is not a terminal', () => {
		const { written, out } = pipe();
		const progress = rewrapProgress(out as unknown as NodeJS.WriteStream);
		for (const done of [0, 1, 5, 5, 10]) progress.update(totals(done, 10));
		expect(written).toEqual([
			'rewrap: 0/10 rows (0%)\n',
			'rewrap: 1/10 rows (10%)\n',
			'rewrap: 5/10 rows (50%)\n',
			'rewrap: 10/10 rows (100%)\n',
		]);
	});

	it("reads a rewrap's state from the ciphertexts under each version", () => {
		const key = (version: number, ciphertexts: number) => ({
			version,
			status: 'active' as const,
			created_at: null,
			retired_at: null,
			ciphertexts,
			by_location: {},
		});
		expect(
			rewrapState({ active_version: 2, keys: [key(1, 30), key(2, 70)], not_on_active: 30 }),
		).toEqual({ target_version: 2, done: 70, total: 100, remaining: 30, ratio: 0.7 });
		expect(rewrapState({ active_version: null, keys: [], not_on_active: 0 })).toEqual({
			target_version: null,
			done: 0,
			total: 0,
			remaining: 0,
			ratio: 1,
		});
	});
});
