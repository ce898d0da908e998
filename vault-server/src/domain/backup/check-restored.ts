import { Keyring, MasterKeyMismatch } from '../../crypto/keyring.js';
import type { Database } from '../../storage/database.js';
import { encryptionKeysStore } from '../../storage/encryption-keys-store.js';
import { readMigrations } from '../../storage/migrations.js';
import { migrationsDirectory } from '../../storage/sql-directory.js';
import {
	appliedMigrationVersions,
	countVaultRows,
	type VaultCounts,
} from '../../storage/vault-counts.js';
import { loadAuditChainKeys } from '../audit-chain-keys.js';
import { verifyAuditChain, type ChainVerdict } from '../audit-chain-verify.js';
import { openEveryCiphertext, type CiphertextCheck } from './open-every-ciphertext.js';
import type { BackupHeader } from './backup-file.js';

export interface RestoredCheck {
	ok: boolean;
	migrations: {
		applied: number[];
		/** In the backup's header but not in the restored schema (an incomplete restore). */
		missing: number[];
		/** Applied in the backup but unknown to this vault version (a newer vault made it). */
		unknown: number[];
		/** Known here, not in the backup: the vault applies them when it opens the restored database. */
		pending: number[];
	};
	/** Set when the master key opens no data key of the restored database. */
	keyMismatch?: string;
	ciphertexts?: CiphertextCheck;
	audit?: ChainVerdict;
	counts: VaultCounts;
}

/**
 * The restore drill's checks on a restored database `db`, read-only but for the keyring's first
 * key on an empty vault: the schema is the one `header` recorded, every ciphertext opens with the
 * data keys under `masterKey` (32 bytes), and the audit chain verifies.
 */
export async function checkRestored(
	db: Database,
	header: BackupHeader,
	masterKey: Buffer,
): Promise<RestoredCheck> {
	const applied = await appliedMigrationVersions(db);
	const known = new Set(readMigrations(migrationsDirectory()).map((m) => m.version));
	const migrations = {
		applied,
		missing: header.migrations.filter((version) => !applied.includes(version)),
		unknown: applied.filter((version) => !known.has(version)),
		pending: [...known].filter((version) => !applied.includes(version)),
	};
	const counts = await countVaultRows(db);
	const schemaOk = migrations.missing.length === 0 && migrations.unknown.length === 0;
	let keyring: Keyring;
	try {
		keyring = await Keyring.open(encryptionKeysStore(db), masterKey);
	} catch (error) {
		if (!(error instanceof MasterKeyMismatch)) throw error;
		return { ok: false, migrations, keyMismatch: error.message, counts };
	}
	const ciphertexts = await openEveryCiphertext(db, keyring);
	const audit = await verifyAuditChain(db, await loadAuditChainKeys(db, masterKey));
	const ok = schemaOk && ciphertexts.failed.length === 0 && audit.ok;
	return { ok, migrations, ciphertexts, audit, counts };
}
