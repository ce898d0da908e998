import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { patchPostgresDriver } from '../build/postgres-driver-patch.js';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { hasTestPostgres } from './helpers/databases.js';
import { SlowProxy } from './helpers/slow-proxy.js';

const driverFile = (name: string) =>
	join(dirname(createRequire(import.meta.url).resolve('postgres')), '../../src', name);

describe('the postgres.js patch (build/postgres-driver-patch.ts)', () => {
	it('applies to the installed driver', () => {
		const patched = patchPostgresDriver(
			readFileSync(driverFile('connection.js'), 'utf8'),
			'connection.js',
		);
		expect(patched).toContain(
			"if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED'",
		);
		// terminate(), closed() and nextWrite() itself
		expect(
			patched.match(/clearImmediate\(nextWriteTimer\)\n {4}chunk = nextWriteTimer = null/g),
		).toHaveLength(3);
		expect(patched).toContain('skipped && onopen(connection)');
		expect(patched).toContain(
			"(x === 'read-write' && (xs.default_transaction_read_only === 'on' || xs.in_hot_standby === 'on'))",
		);
	});

	it('refuses a driver whose code changed, so an upgrade is reviewed', () => {
		expect(() => patchPostgresDriver('function nextWrite(fn) {}', 'connection.js')).toThrow(
			/postgres\.js connection\.js changed/,
		);
		expect(() => patchPostgresDriver('function Queue() {}', 'queue.js')).toThrow(
			/postgres\.js queue\.js changed/,
		);
	});
});

type DriverQueue<T> = {
	length: number;
	push(x: T): T;
	shift(): T | undefined;
	remove(x: T): T | null;
};

/** The driver's Queue, patched, loaded from a file of its own. */
async function patchedQueue(): Promise<<T>(initial?: T[]) => DriverQueue<T>> {
	const source = patchPostgresDriver(readFileSync(driverFile('queue.js'), 'utf8'), 'queue.js');
	const file = join(mkdtempSync(join(tmpdir(), 'otobot-queue-')), 'queue.mjs');
	writeFileSync(file, source);
	return (
		(await import(pathToFileURL(file).href)) as { default: <T>(initial?: T[]) => DriverQueue<T> }
	).default;
}

describe("the driver's pool queue, patched", () => {
	it('behaves as a queue: first in, first out, with removal from the middle', async () => {
		const Queue = await patchedQueue();
		const queue = Queue<number>();
		const model: number[] = [];
		let next = 0;
		// a deterministic mix of pushes, shifts and removals, kept non-empty like a busy pool's
		for (let step = 0; step < 20_000; step += 1) {
			const roll = (step * 7919) % 10;
			if (roll < 4 || model.length < 3) {
				queue.push(next);
				model.push(next);
				next += 1;
			} else if (roll < 8) {
				expect(queue.shift()).toBe(model.shift());
			} else {
				const victim = model[(step * 31) % model.length]!;
				expect(queue.remove(victim)).toBe(victim);
				model.splice(model.indexOf(victim), 1);
				expect(queue.remove(victim)).toBeNull();
			}
			expect(queue.length).toBe(model.length);
		}
	});

	it('scans only its live entries: a queue that never runs dry does not slow down', async () => {
		const Queue = await patchedQueue();
		const queue = Queue<object>();
		const connections = Array.from({ length: 10 }, () => ({}));
		connections.forEach((connection) => queue.push(connection));
		// count the elements indexOf looks at, the cost the unpatched driver let grow per statement
		const indexOf = Array.prototype.indexOf;
		let widestScan = 0;
		let longestArray = 0;
		Array.prototype.indexOf = function (this: unknown[], ...args: [unknown, number?]) {
			widestScan = Math.max(widestScan, this.length - (args[1] ?? 0));
			longestArray = Math.max(longestArray, this.length);
			return indexOf.apply(this, args);
		};
		try {
			// a statement: the connection leaves the idle queue and comes back (a busy pool, 200,000 times)
			for (let statement = 0; statement < 200_000; statement += 1) {
				const connection = queue.shift()!;
				queue.push(connection);
				queue.remove(connections[statement % 10]!);
				queue.push(connections[statement % 10]!);
			}
		} finally {
			Array.prototype.indexOf = indexOf;
		}
		expect(queue.length).toBe(10);
		// unpatched, the last scans cover about 200,000 holes: each fix on its own bounds them, the
		// scan from the head to the 10 live entries, the compaction the array to about 2,048 slots
		expect(widestScan).toBeLessThanOrEqual(connections.length);
		expect(longestArray).toBeLessThan(2_100);
	});
});

describe.runIf(hasTestPostgres('the slow-connection test of the driver patch'))(
	'a statement given up while its connection opens',
	() => {
		let proxy: SlowProxy;
		afterAll(() => proxy?.close());

		it('leaves the connection to the pool: the next statement runs on it', async () => {
			proxy = await SlowProxy.start(process.env.TEST_DATABASE_URL!);
			const db = openPostgresDatabase({ url: proxy.url, poolSize: 1, connectionWaitMs: 300 });
			try {
				await expect(db.query('SELECT 1')).rejects.toMatchObject({
					code: 'CONNECTION_WAIT_TIMEOUT',
				});
				proxy.release();
				// the pool's one connection finishes opening with no statement left to run
				await proxy.connectionIdle();
				// without the patch that connection opened for nobody: this waited in vain
				expect(await db.query<{ n: number }>('SELECT 2 AS n')).toEqual([{ n: 2 }]);
			} finally {
				await db.close();
			}
		});
	},
);
