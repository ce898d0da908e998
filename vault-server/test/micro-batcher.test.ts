import { describe, expect, it } from 'vitest';
import { MicroBatcher } from '../src/micro-batcher.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A batch function that records its batches and answers when told to. */
function recordingRun() {
	const batches: number[][] = [];
	const waiting: (() => void)[] = [];
	let running = 0;
	let mostRunning = 0;
	const run = async (items: number[]) => {
		batches.push(items);
		running += 1;
		mostRunning = Math.max(mostRunning, running);
		await new Promise<void>((resolve) => waiting.push(resolve));
		running -= 1;
		if (items.includes(-1)) throw new Error('batch refused');
		return items.map((item) => item * 10);
	};
	const releaseAll = () => waiting.splice(0).forEach((resolve) => resolve());
	/** Lets every batch finish, those started later included, until `promise` settles. */
	const releaseUntil = async <T>(promise: Promise<T>): Promise<T> => {
		let settled = false;
		void promise.finally(() => (settled = true)).catch(() => {});
		while (!settled) {
			releaseAll();
			await settle();
		}
		return promise;
	};
	return { run, batches, releaseAll, releaseUntil, mostRunning: () => mostRunning };
}

describe('MicroBatcher', () => {
	it('sends the items added in one turn as one batch and answers each with its own result', async () => {
		const rig = recordingRun();
		const batcher = new MicroBatcher(rig.run, { maxBatch: 100, maxInFlight: 2 });
		const answers = Promise.all([1, 2, 3].map((item) => batcher.add(item)));
		await settle();
		expect(await rig.releaseUntil(answers)).toEqual([10, 20, 30]);
		expect(rig.batches).toEqual([[1, 2, 3]]);
	});

	it('runs at most maxInFlight batches; what arrives meanwhile goes in the next batch', async () => {
		const rig = recordingRun();
		const batcher = new MicroBatcher(rig.run, { maxBatch: 2, maxInFlight: 2 });
		const answers = Promise.all([1, 2, 3, 4, 5, 6, 7].map((item) => batcher.add(item)));
		await settle();
		expect(rig.batches).toEqual([
			[1, 2],
			[3, 4],
		]);
		expect(await rig.releaseUntil(answers)).toEqual([10, 20, 30, 40, 50, 60, 70]);
		expect(rig.mostRunning()).toBe(2);
		expect(rig.batches.every((batch) => batch.length <= 2)).toBe(true);
	});

	it('rejects the items of a failed batch, and only those', async () => {
		const rig = recordingRun();
		const batcher = new MicroBatcher(rig.run, { maxBatch: 100, maxInFlight: 1 });
		const failed = Promise.allSettled([batcher.add(-1), batcher.add(2)]);
		await settle();
		const later = batcher.add(3);
		expect((await rig.releaseUntil(failed)).map((result) => result.status)).toEqual([
			'rejected',
			'rejected',
		]);
		expect(await rig.releaseUntil(later)).toBe(30);
	});

	it('drain waits for the batches in flight and those still queued', async () => {
		const batcher = new MicroBatcher(
			async (items: number[]) => {
				await new Promise((resolve) => setTimeout(resolve, 20));
				return items;
			},
			{ maxBatch: 1, maxInFlight: 1 },
		);
		const done: number[] = [];
		for (const item of [1, 2, 3]) void batcher.add(item).then((value) => done.push(value));
		await batcher.drain();
		expect(done).toEqual([1, 2, 3]);
	});
});
