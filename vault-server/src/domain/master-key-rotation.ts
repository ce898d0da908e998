import { unwrapDataKey, wrapDataKey } from '../crypto/keyring.js';
import type { Database } from '../storage/database.js';
import { encryptionKeysStore } from '../storage/encryption-keys-store.js';

export interface MasterKeyRotation {
	/** Data keys that were under the previous master key and are now under the current one. */
	rewrapped: number;
	keys: number;
}

/**
 * Master-key rotation: every data key the current master key does not open yet is opened with the
 * previous one and wrapped again under the current one, all in one transaction (rows locked, so
 * several processes starting together do it once). Retired keys move too, so nothing is left that
 * only the old master key opens. A key neither opens is a MasterKeyMismatch and nothing changes.
 */
export async function rewrapDataKeysUnder(
	db: Database,
	current: Buffer,
	previous: Buffer,
): Promise<MasterKeyRotation> {
	return db.transaction(async (tx) => {
		const store = encryptionKeysStore(tx);
		const rows = await store.lockAll();
		let rewrapped = 0;
		for (const row of rows) {
			try {
				unwrapDataKey(current, row);
				continue;
			} catch {
				// not yet under the current master key: the previous one must open it
			}
			const dataKey = unwrapDataKey(previous, row);
			await store.replaceWrappedKey(row.version, wrapDataKey(current, row.version, dataKey));
			rewrapped += 1;
		}
		return { rewrapped, keys: rows.length };
	});
}

/** What the operator is told once the data keys are under the new master key. */
export function masterKeyRotationMessage(rotation: MasterKeyRotation): string {
	const done =
		rotation.rewrapped > 0
			? `Re-wrapped ${rotation.rewrapped} of ${rotation.keys} data key(s) under the new ENCRYPTION_MASTER_KEY.`
			: `All ${rotation.keys} data key(s) are already under ENCRYPTION_MASTER_KEY.`;
	return (
		`${done} ENCRYPTION_MASTER_KEY_PREVIOUS is no longer needed: remove it from the environment of every ` +
		'vault process. Keep the old key only as long as you keep database backups taken before this rotation.'
	);
}
