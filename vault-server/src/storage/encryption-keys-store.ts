import type { Queryable } from './database.js';

export type KeyStatus = 'active' | 'decrypt_only' | 'retired';

export interface EncryptionKeyRow {
	version: number;
	wrapped_key: Uint8Array;
	status: KeyStatus;
	created_at: Date;
	retired_at: Date | null;
}

/** The `encryption_keys` table: data key versions, each wrapped under the master key. */
export function encryptionKeysStore(db: Queryable) {
	return {
		async list(): Promise<EncryptionKeyRow[]> {
			return db.query<EncryptionKeyRow>('SELECT * FROM encryption_keys ORDER BY version');
		},

		/** The versions a keyring loads: every one not retired, in version order. */
		async listUsable() {
			return db.query<Pick<EncryptionKeyRow, 'version' | 'wrapped_key' | 'status'>>(
				"SELECT version, wrapped_key, status FROM encryption_keys WHERE status <> 'retired' ORDER BY version",
			);
		},

		/** Version 1 as the active key; ON CONFLICT: a key another process inserted first stays. */
		async insertFirst(wrappedKey: Uint8Array): Promise<void> {
			await db.query(
				"INSERT INTO encryption_keys (version, wrapped_key, status) VALUES (1, $1, 'active') ON CONFLICT DO NOTHING",
				[wrappedKey],
			);
		},

		/** Every key row, locked until the transaction ends (master-key rotation, one at a time). */
		async lockAll(): Promise<EncryptionKeyRow[]> {
			return db.query<EncryptionKeyRow>(
				'SELECT * FROM encryption_keys ORDER BY version FOR UPDATE',
			);
		},

		async lockOne(version: number): Promise<EncryptionKeyRow | undefined> {
			const rows = await db.query<EncryptionKeyRow>(
				'SELECT * FROM encryption_keys WHERE version = $1 FOR UPDATE',
				[version],
			);
			return rows[0];
		},

		/**
		 * Serialises key rotations: the table lock lets readers (every fetch's keyring reload) go on
		 * but makes a second rotation wait for the first to commit, so versions never collide.
		 */
		async lockForRotation(): Promise<number> {
			await db.query('LOCK TABLE encryption_keys IN SHARE ROW EXCLUSIVE MODE');
			const rows = await db.query<{ latest: number }>(
				'SELECT COALESCE(max(version), 0)::int AS latest FROM encryption_keys',
			);
			return rows[0]?.latest ?? 0;
		},

		/** Demotes the active version (if any) and inserts `version` as the only active one. */
		async insertActive(version: number, wrappedKey: Uint8Array): Promise<number | undefined> {
			const demoted = await db.query<{ version: number }>(
				"UPDATE encryption_keys SET status = 'decrypt_only' WHERE status = 'active' RETURNING version",
			);
			await db.query(
				"INSERT INTO encryption_keys (version, wrapped_key, status) VALUES ($1, $2, 'active')",
				[version, wrappedKey],
			);
			return demoted[0]?.version;
		},

		async replaceWrappedKey(version: number, wrappedKey: Uint8Array): Promise<void> {
			await db.query('UPDATE encryption_keys SET wrapped_key = $2 WHERE version = $1', [
				version,
				wrappedKey,
			]);
		},

		async markRetired(version: number): Promise<void> {
			await db.query(
				"UPDATE encryption_keys SET status = 'retired', retired_at = now() WHERE version = $1",
				[version],
			);
		},
	};
}
