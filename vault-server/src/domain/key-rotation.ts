import { randomBytes } from 'node:crypto';
import { VaultError } from '../errors.js';
import { KEY_LENGTH } from '../crypto/envelope.js';
import { wrapDataKey } from '../crypto/keyring.js';
import type { Database } from '../storage/database.js';
import { encryptionKeysStore } from '../storage/encryption-keys-store.js';
import { ciphertextsUnder } from './key-status.js';

export interface Rotation {
	version: number;
	previous: number | undefined;
}

/**
 * Creates a new data key version, wrapped under the master key, and makes it the one new secrets
 * are sealed with; the old active version stays for decryption ('decrypt_only'). One transaction:
 * the partial unique index on status allows one active key, and concurrent rotations queue.
 */
export async function rotateDataKey(db: Database, masterKey: Buffer): Promise<Rotation> {
	return db.transaction(async (tx) => {
		const store = encryptionKeysStore(tx);
		const version = (await store.lockForRotation()) + 1;
		const previous = await store.insertActive(
			version,
			wrapDataKey(masterKey, version, randomBytes(KEY_LENGTH)),
		);
		return { version, previous };
	});
}

export interface RetireOptions {
	/**
	 * How long the active key must have been active: every running vault process reloads its keys
	 * within KEYRING_RELOAD_SECONDS, and until then one may still seal new secrets with the old one.
	 */
	settleMs: number;
	now?: number;
}

/**
 * Retires a version no ciphertext uses any more: no process loads it again. Its wrapped key stays
 * in the table (still under the master key), so a forgotten ciphertext restored from a backup can
 * be recovered by an operator; only the vault stops using it.
 */
export async function retireDataKey(
	db: Database,
	version: number,
	options: RetireOptions,
): Promise<'retired' | 'already_retired'> {
	return db.transaction(async (tx) => {
		const store = encryptionKeysStore(tx);
		const key = await store.lockOne(version);
		if (!key)
			throw new VaultError('KEY_VERSION_NOT_FOUND', `There is no data key version ${version}`);
		if (key.status === 'retired') return 'already_retired';
		if (key.status === 'active') {
			throw new VaultError(
				'KEY_VERSION_ACTIVE',
				`Key version ${version} is the active version; run \`otobot-vault keys rotate\` and \`keys rewrap\` first`,
			);
		}
		const inUse = await ciphertextsUnder(tx, version);
		if (inUse > 0) {
			throw new VaultError(
				'KEY_VERSION_IN_USE',
				`Key version ${version} still protects ${inUse} ciphertext(s); run \`otobot-vault keys rewrap\` first`,
			);
		}
		const newer = (await store.list()).find((row) => row.status === 'active');
		const age = (options.now ?? Date.now()) - (newer?.created_at.getTime() ?? 0);
		if (age < options.settleMs) {
			const wait = Math.ceil((options.settleMs - age) / 1000);
			throw new VaultError(
				'KEY_ROTATION_TOO_RECENT',
				`Key version ${newer?.version} became active less than ${options.settleMs / 1000} s ago; a running vault ` +
					`may not have reloaded its keys yet. Run \`keys rewrap\` again, then retire in ${wait} s.`,
			);
		}
		await store.markRetired(version);
		return 'retired';
	});
}
