import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { connect, createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { patchPostgresDriver } from '../build/postgres-driver-patch.js';
import { isConnectionFailure } from '../src/storage/connection-wait.js';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { hasTestPostgres } from './helpers/databases.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { SlowProxy } from './helpers/slow-proxy.js';
import { freePort } from './helpers/throwaway-postgres.js';

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
		expect(patched).toContain(
			'connection.queue === queues.connecting && initial && options.host[retries + 1]',
		);
		expect(patched).toContain(
			'retries++\n      query = results = errorResponse = null\n      return reconnect()',
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

/** Bound on a statement's answer in the multi-host tests: a hang, not a speed, is what fails them. */
const ANSWER_BOUND_MS = 20_000;

/** Settles with the statement's outcome, or with 'no answer' once `ANSWER_BOUND_MS` has passed. */
function answerOf(statement: Promise<unknown>): Promise<unknown> {
	let timer: NodeJS.Timeout | undefined;
	const bound = new Promise((resolve) => {
		timer = setTimeout(() => resolve('no answer'), ANSWER_BOUND_MS);
	});
	return Promise.race([
		statement.then(
			() => 'answered',
			(error: unknown) => error,
		),
		bound,
	]).finally(() => clearTimeout(timer));
}

/** TEST_DATABASE_URL with `hosts` (host:port, in order) and extra query parameters. */
function multiHostUrl(hosts: string[], parameters: Record<string, string>): string {
	const base = new URL(process.env.TEST_DATABASE_URL!);
	const query = new URLSearchParams(parameters).toString();
	const credentials = base.password ? `${base.username}:${base.password}` : base.username;
	return `${base.protocol}//${credentials}@${hosts.join(',')}${base.pathname}?${query}`;
}

const testServer = () => {
	const base = new URL(process.env.TEST_DATABASE_URL!);
	return `${base.hostname}:${base.port || 5432}`;
};

/**
 * A TCP proxy to the test server whose `reset()` ends every proxied connection with a TCP RST on
 * the client's side: the driver sees ECONNRESET (an `error` event, then `close`), as when a
 * crashed server's kernel answers a write.
 */
async function resettingProxy(): Promise<{ url: string; reset(): void; close(): void }> {
	const target = new URL(process.env.TEST_DATABASE_URL!);
	const pairs = new Set<[Socket, Socket]>();
	const server = createServer((client) => {
		const upstream = connect(Number(target.port || 5432), target.hostname);
		const pair: [Socket, Socket] = [client, upstream];
		pairs.add(pair);
		for (const socket of pair) {
			socket.on('error', () => {});
			socket.on('close', () => pairs.delete(pair));
		}
		client.pipe(upstream).pipe(client);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = new URL(target);
	url.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
	const reset = () => {
		for (const [client, upstream] of pairs) {
			client.resetAndDestroy();
			upstream.destroy();
		}
	};
	return {
		url: url.toString(),
		reset,
		close() {
			reset();
			server.close();
		},
	};
}

describe.runIf(hasTestPostgres('the multi-host tests of the driver patch'))(
	'several hosts in DATABASE_URL (the driver tries each in turn while a connection opens)',
	() => {
		it("answers the first statement on a new connection when that connection drops (the audit writer's hang at a failover)", async () => {
			const applicationName = `otobot_multihost_${randomBytes(4).toString('hex')}`;
			const url = multiHostUrl([testServer(), `127.0.0.1:${await freePort()}`], {
				application_name: applicationName,
			});
			const db = openPostgresDatabase({ url, poolSize: 1 });
			const admin = openPostgresDatabase({ url: process.env.TEST_DATABASE_URL!, poolSize: 1 });
			try {
				const outcome = answerOf(db.query('SELECT pg_sleep(60)'));
				await vi.waitFor(async () => {
					const rows = await admin.query(
						"SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'",
						[applicationName],
					);
					expect(rows).toHaveLength(1);
				}, WAIT_BOUND);
				// the server ends that session, as a crashing primary ends all of them
				await admin.query(
					'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
					[applicationName],
				);
				// unpatched: 'no answer' (the connection counted as opening, so the error was dropped)
				const answer = await outcome;
				expect(isConnectionFailure(answer), String(answer)).toBe(true);
				// and the pool serves the next statement (unpatched, it failed with the old session's FATAL)
				expect(await db.query<{ n: number }>('SELECT 3 AS n')).toEqual([{ n: 3 }]);
			} finally {
				await db.close();
				await admin.close();
			}
		});

		it('fails a statement once every host refused, instead of going round them for as long as the outage lasts', async () => {
			const url = multiHostUrl(
				[`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`],
				{},
			);
			// the vault's own wait bound far away: the driver alone must give the statement up
			const db = openPostgresDatabase({ url, poolSize: 1, connectionWaitMs: 600_000 });
			try {
				// unpatched: 'no answer'
				expect(await answerOf(db.query('SELECT 1'))).toMatchObject({ code: 'ECONNREFUSED' });
			} finally {
				await db.close();
			}
		});

		it('fails a statement once no host accepts writes (target_session_attrs=read-write), instead of going round them', async () => {
			// the same server twice, each session read-only: two standbys, as the driver sees them
			const url = multiHostUrl([testServer(), testServer()], {
				target_session_attrs: 'read-write',
				default_transaction_read_only: 'on',
			});
			const db = openPostgresDatabase({ url, poolSize: 1, connectionWaitMs: 600_000 });
			try {
				// unpatched: 'no answer'
				expect(await answerOf(db.query('SELECT 1'))).toMatchObject({
					code: 'CONNECTION_DESTROYED',
				});
			} finally {
				await db.close();
			}
		});
	},
);

describe.runIf(hasTestPostgres('the connection-reset test of the driver patch'))(
	'a connection reset while a transaction runs',
	() => {
		it("fails the transaction's ROLLBACK with it, so the pool's next statements are answered", async () => {
			const proxy = await resettingProxy();
			const applicationName = `otobot_reset_${randomBytes(4).toString('hex')}`;
			const url = new URL(proxy.url);
			url.searchParams.set('application_name', applicationName);
			const db = openPostgresDatabase({
				url: url.toString(),
				poolSize: 1,
				connectionWaitMs: 600_000,
			});
			const admin = openPostgresDatabase({ url: process.env.TEST_DATABASE_URL!, poolSize: 1 });
			try {
				const transaction = answerOf(
					db.transaction(async (tx) => {
						await tx.query('SELECT pg_sleep(60)');
					}),
				);
				await vi.waitFor(async () => {
					const rows = await admin.query(
						"SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE '%pg_sleep%' AND state = 'active'",
						[applicationName],
					);
					expect(rows).toHaveLength(1);
				}, WAIT_BOUND);
				// the statement fails with ECONNRESET; its transaction writes a ROLLBACK before `close`
				proxy.reset();
				const failed = await transaction;
				expect(isConnectionFailure(failed), String(failed)).toBe(true);
				// unpatched, the ROLLBACK stayed queued as sent: the next connection answered one
				// statement, then waited for the ROLLBACK's answer, and the pool had no connection left
				for (const n of [4, 5, 6])
					expect(await answerOf(db.query<{ n: number }>(`SELECT ${n} AS n`))).toBe('answered');
			} finally {
				await db.close();
				await admin.close();
				proxy.close();
			}
		});
	},
);
