import type { Config } from './config/config.js';
import { resolveMasterKey, type MasterKeySource } from './crypto/master-key.js';
import { Keyring } from './crypto/keyring.js';
import type { Database } from './storage/database.js';
import { migrate, readMigrations, type Migration } from './storage/migrations.js';
import { migrationsDirectory } from './storage/sql-directory.js';
import { openDatabase } from './storage/open-database.js';

export interface OpenedVault {
	db: Database;
	keyring: Keyring;
	masterKey: MasterKeySource;
	migrationsApplied: Migration[];
}

/**
 * What every command needs before it serves or changes anything: the database, migrated, and the
 * data keys, opened with the master key. Fails (and closes the database) on a wrong master key.
 */
export async function openVault(
	config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'dataDir' | 'masterKeyHex' | 'production'>,
	options: { db?: Database } = {},
): Promise<OpenedVault> {
	const db = options.db ?? (await openDatabase(config));
	try {
		const migrationsApplied = await migrate(db, readMigrations(migrationsDirectory()));
		const masterKey = resolveMasterKey(config);
		const keyring = await Keyring.open(db, masterKey.key);
		return { db, keyring, masterKey, migrationsApplied };
	} catch (error) {
		if (!options.db) await db.close();
		throw error;
	}
}
