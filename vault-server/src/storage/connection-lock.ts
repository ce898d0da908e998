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
		await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [REFRESH_LOCK_CLASS, `${clientId}/${service}`]);
		return work(tx);
	});
}
