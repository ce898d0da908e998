import type { Database, Queryable } from './database.js';

// the advisory-lock class of connection refreshes (the second key is the connection's hash)
const REFRESH_LOCK_CLASS = 7742;

/**
 * Runs `work` while holding the connection's refresh lock, across every vault process on the
 * database: a transaction-scoped advisory lock, so a crashed holder releases it with its session.
 * PGlite serves a single process, where the refresher's in-process single-flight is the lock; there
 * `work` runs without a long transaction, which would stall every other query meanwhile.
 */
export async function withConnectionLock<T>(
	db: Database,
	clientId: string,
	service: string,
	work: (q: Queryable) => Promise<T>,
): Promise<T> {
	if (db.kind === 'pglite') return work(db);
	return db.transaction(async (tx) => {
		await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
			REFRESH_LOCK_CLASS,
			`${clientId}/${service}`,
		]);
		return work(tx);
	});
}

/**
 * Takes the connection's refresh lock for the rest of `tx` if no one holds it: `false` while a
 * refresh is calling the provider, whose result must not be made stale under it (rewrap skips the
 * row and comes back). Always `true` on PGlite, which has no other process to wait for.
 */
export async function tryConnectionLock(
	db: Database,
	tx: Queryable,
	clientId: string,
	service: string,
): Promise<boolean> {
	if (db.kind === 'pglite') return true;
	const rows = await tx.query<{ locked: boolean }>(
		'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
		[REFRESH_LOCK_CLASS, `${clientId}/${service}`],
	);
	return rows[0]?.locked === true;
}
