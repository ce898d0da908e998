import type { Database, Queryable } from './database.js';
import { refreshLeaseStore } from './refresh-lease.js';

/**
 * Locks the connection's row for the rest of `tx` unless a refresh holds its lease: `false` while a
 * refresh is calling the provider, whose result must not be made stale under it (rewrap skips the
 * row and comes back). A refresh that tries to take the lease while `tx` holds the row waits for
 * it, then finds the ciphertext changed and reads the row again.
 */
export async function tryConnectionLock(
	_db: Database,
	tx: Queryable,
	clientId: string,
	service: string,
): Promise<boolean> {
	return refreshLeaseStore(tx).lockUnlessLeased(clientId, service);
}
