import { readFileSync } from 'node:fs';

/**
 * Five fixes for postgres.js 3.4.9, applied to its sources when the vault is bundled (tsup) and
 * when tests load it (vitest). The fourth is in `src/queue.js` and was found by the benchmark; the
 * others are in `src/connection.js`: two found by the fault tests (docs/RELIABILITY.md), two by the
 * standby promotion test.
 *
 * 1. The write guard (porsager/postgres#1208, #1154, #1066; open upstream). Small writes wait for a `setImmediate`. When PostgreSQL goes away, `closed()` clears that
 * immediate without forgetting it and sets the socket to null. Two faults follow, both seen when
 * the vault's database restarts under load:
 * - a write made after the close (a transaction's ROLLBACK) schedules `nextWrite`, which calls
 *   `null.write` in an immediate: an uncaught TypeError that kills the vault process;
 * - the stale timer id makes every later small write on that connection wait for an immediate that
 *   never comes, so after the database is back its queries hang.
 * The patch forgets the timer and the buffered bytes on close, and makes a write without a socket
 * fail the connection's queries with CONNECTION_CLOSED, which the vault answers as a 503.
 *
 * 2. A cancelled first query. A query that finds no open connection starts one and is sent once
 * it is up. Cancelled before that (the vault gives up waiting, storage/connection-wait.ts), it is
 * skipped, but the new connection was then never offered to the pool: one connection lost from
 * the pool per such cancel, until none is left. The patch offers it.
 *
 * 3. `target_session_attrs=read-write` (issue 17 §3). libpq refuses a server in hot standby for
 * it ("the server must not be in hot standby mode and the default_transaction_read_only parameter
 * must be off", PostgreSQL 15 docs §34.1.2); postgres.js checks default_transaction_read_only only,
 * which a standby reports as `off`, so with the standby first in DATABASE_URL (or the primary down
 * for a moment) the pool settles on the standby and every write fails there. The patch checks
 * in_hot_standby too (reported by servers from 14 on; the driver asks older ones itself).
 *
 * 5. Several hosts in the URL (issue 17 §3, found by the standby promotion test). While a
 * connection opens, the driver answers a failure by trying the next host instead of failing the
 * statement waiting for the connection. Its test of "still opening" was wrong twice:
 * - it looked at the pool queue, and a connection stays in the `connecting` queue until its first
 *   statement is answered: when that connection dropped (the primary crashing under load), the
 *   statement in flight was never answered, and whatever awaited it (the audit writer, then every
 *   fetch behind it) waited for good;
 * - its count of hosts tried (`retries`) was never incremented, so with every host unreachable, or
 *   none accepting writes (`target_session_attrs`), it went round the hosts without a pause for as
 *   long as the outage lasted, and the statement never failed.
 * The patch treats a connection as opening while its first statement is not yet sent (as libpq,
 * PostgreSQL 15 docs §34.1.1.3: each host is tried once, in order, then the attempt fails), counts
 * the hosts tried, applies the connect timeout to each host, and fails the statement once every
 * host has been tried; the pool then reconnects with its backoff.
 *
 * On every close the patch also fails and forgets what the connection had in flight, with one host
 * as with several. The driver failed its sent statements on `close` only when no `error` event
 * came first, but a statement can be written between the two (a transaction's ROLLBACK, sent as
 * the failed statement's rejection runs): it stayed queued as sent, the next connection waited for
 * its answer, and the pool lost that connection for good. It also kept the error the server sent
 * before closing (the FATAL of a terminated session), which then failed the first statement on the
 * next connection.
 */
const CONNECTION_FIXES: [string, string][] = [
	[
		'  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
		"  function nextWrite(fn) {\n    if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)",
	],
	[
		'    clearImmediate(nextWriteTimer)\n    if (socket) {',
		'    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {',
	],
	[
		'    clearImmediate(nextWriteTimer)\n    socket.removeListener',
		'    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener',
	],
	[
		'      initial && !initial.reserve && execute(initial)\n      options.shared.retries = retries = 0\n      initial = null\n      return',
		'      const skipped = initial && initial.cancelled\n      initial && !initial.reserve && !skipped && execute(initial)\n      options.shared.retries = retries = 0\n      initial = null\n      skipped && onopen(connection)\n      return',
	],
	[
		"      (x === 'read-write' && xs.default_transaction_read_only === 'on') ||",
		"      (x === 'read-write' && (xs.default_transaction_read_only === 'on' || xs.in_hot_standby === 'on')) ||",
	],
	[
		'    connect(query) {\n      initial = query\n      reconnect()',
		'    connect(query) {\n      initial = query\n      retries = 0\n      reconnect()',
	],
	[
		'  function connectTimedOut() {\n    errored(',
		'  function connectTimedOut() {\n    initial && options.host[retries + 1] || errored(',
	],
	[
		'    if (connection.queue === queues.connecting && options.host[retries + 1])\n      return',
		'    if (connection.queue === queues.connecting && initial && options.host[retries + 1])\n      return',
	],
	[
		"    if (initial)\n      return reconnect()\n\n    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n",
		"    if (initial && options.host[retries + 1]) {\n      retries++\n      query = results = errorResponse = null\n      return reconnect()\n    }\n    initial && errored(Errors.connection('CONNECTION_CLOSED', options, socket))\n\n    ;(query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n    query = results = errorResponse = null\n    result = new Result()\n",
	],
];

/*
 * 4. The pool's queues slow down for good under sustained load. `Queue.shift` empties its array
 * only when the queue runs dry and otherwise leaves a hole at the front, while `remove` (called
 * each time a connection changes queue, so on every statement) scans the array from its start.
 * A busy pool's queues never run dry: the array grows by one hole per statement and each
 * statement costs more than the last. `node dist/bench/driver-queue.js --published` measured
 * 34,000 statements/s over the first 100,000 and 5,700/s over the sixth (pgbench against the same
 * server stays flat); patched, 58,000-70,000/s throughout. The patch makes `remove` scan only the
 * live part and compacts the array once its holes are the larger half.
 */
const QUEUE_FIXES: [string, string][] = [
	[
		'    remove: (x) => {\n      const index = xs.indexOf(x)\n      return index === -1\n        ? null\n        : (xs.splice(index, 1), x)\n    },',
		'    remove: (x) => {\n      const at = xs.indexOf(x, index)\n      return at === -1\n        ? null\n        : (xs.splice(at, 1), x)\n    },',
	],
	[
		'      } else {\n        xs[index - 1] = undefined\n      }',
		'      } else if (index >= 1024 && index * 2 >= xs.length) {\n        xs = xs.slice(index)\n        index = 0\n      } else {\n        xs[index - 1] = undefined\n      }',
	],
];

const FIXES: Record<string, [string, string][]> = {
	'connection.js': CONNECTION_FIXES,
	'queue.js': QUEUE_FIXES,
};

export const PATCHED_FILE = /[\\/]postgres[\\/]src[\\/](connection|queue)\.js$/;

/**
 * The patched source of a driver file (`connection.js` or `queue.js`); throws when the driver
 * changed, so an upgrade is reviewed, not guessed.
 */
export function patchPostgresDriver(source: string, file: string): string {
	const name = file.split(/[\\/]/).pop() ?? file;
	const fixes = FIXES[name];
	if (!fixes) throw new Error(`postgres.js has no patch for ${name}`);
	return fixes.reduce((text, [from, to]) => {
		if (text.split(from).length !== 2) {
			throw new Error(
				`postgres.js ${name} changed: review build/postgres-driver-patch.ts (${from.trim().split('\n')[0]})`,
			);
		}
		return text.replace(from, to);
	}, source);
}

/** For tsup (esbuild): bundle postgres.js with the fixes. */
export const esbuildPostgresPatch = {
	name: 'postgres-driver-patch',
	setup(build: {
		onLoad: (
			options: { filter: RegExp },
			load: (args: { path: string }) => { contents: string; loader: 'js' },
		) => void;
	}) {
		build.onLoad({ filter: PATCHED_FILE }, ({ path }) => ({
			contents: patchPostgresDriver(readFileSync(path, 'utf8'), path),
			loader: 'js',
		}));
	},
};

/** For vitest (vite): the same fixes in the driver the in-process tests load. */
export const vitePostgresPatch = {
	name: 'postgres-driver-patch',
	enforce: 'pre' as const,
	transform(code: string, id: string) {
		const file = id.split('?')[0] ?? id;
		return PATCHED_FILE.test(file) ? patchPostgresDriver(code, file) : undefined;
	},
};
