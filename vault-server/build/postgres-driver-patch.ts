import { readFileSync } from 'node:fs';

/**
 * Two fixes for postgres.js 3.4.9, applied to its `src/connection.js` when the vault is bundled
 * (tsup) and when tests load it (vitest). Both were found by the fault tests (docs/RELIABILITY.md).
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
 */
const REPLACEMENTS: [string, string][] = [
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
];

export const PATCHED_FILE = /[\\/]postgres[\\/]src[\\/]connection\.js$/;

/** The patched source; throws when the driver changed, so an upgrade is reviewed, not guessed. */
export function patchPostgresDriver(source: string): string {
	return REPLACEMENTS.reduce((text, [from, to]) => {
		if (text.split(from).length !== 2) {
			throw new Error(
				`postgres.js connection.js changed: review build/postgres-driver-patch.ts (${from.trim().split('\n')[0]})`,
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
			contents: patchPostgresDriver(readFileSync(path, 'utf8')),
			loader: 'js',
		}));
	},
};

/** For vitest (vite): the same fixes in the driver the in-process tests load. */
export const vitePostgresPatch = {
	name: 'postgres-driver-patch',
	enforce: 'pre' as const,
	transform(code: string, id: string) {
		return PATCHED_FILE.test(id.split('?')[0] ?? id) ? patchPostgresDriver(code) : undefined;
	},
};
