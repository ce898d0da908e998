import { deriveAuditChainKey } from '../crypto/audit-chain-key.js';
import { unwrapDataKey } from '../crypto/keyring.js';
import type { Queryable } from '../storage/database.js';
import { encryptionKeysStore } from '../storage/encryption-keys-store.js';

/** The chain key of each data key version, or undefined for a version that does not exist. */
export type AuditChainKeyLookup = (version: number) => Buffer | undefined;

/**
 * Every audit chain key the vault has used: one per data key version, retired ones included (a
 * retired data key still opens with the master key, and its rows must keep verifying). Throws
 * MasterKeyMismatch when `masterKey` is not the vault's.
 */
export async function loadAuditChainKeys(
	db: Queryable,
	masterKey: Buffer,
): Promise<AuditChainKeyLookup> {
	const keys = new Map<number, Buffer>();
	for (const row of await encryptionKeysStore(db).list()) {
		keys.set(row.version, deriveAuditChainKey(unwrapDataKey(masterKey, row)));
	}
	return (version) => keys.get(version);
}
