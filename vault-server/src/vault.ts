import type { Config } from './config/config.js';
import { ConfigError } from './config/config-error.js';
import { dataDirProblem, writesDataDir } from './config/data-dir.js';
import { parseMasterKey, planMasterKey, type MasterKeySource } from './crypto/master-key.js';
import { Keyring, MasterKeyMismatch } from './crypto/keyring.js';
import {
	masterKeyRotationMessage,
	rewrapDataKeysUnder,
	type MasterKeyRotation,
} from './domain/master-key-rotation.js';
import type { Database } from './storage/database.js';
import { migrate, readMigrations, type Migration } from './storage/migrations.js';
import { migrationsDirectory } from './storage/sql-directory.js';
import { openDatabase, openMigrationDatabase } from './storage/open-database.js';
import { encryptionKeysStore } from './storage/encryption-keys-store.js';

export interface OpenedVault {
	db: Database;
	keyring: Keyring;
	masterKey: MasterKeySource;
	migrationsApplied: Migration[];
	/** Set when ENCRYPTION_MASTER_KEY_PREVIOUS was given: the data keys are now under the new key. */
	masterKeyRotation?: MasterKeyRotation;
}

export interface OpenVaultOptions {
	db?: Database;
	/** Where the master-key rotation notice goes; stderr unless the caller logs it itself. */
	announce?: (message: string) => void;
}

/**
 * What every command needs before it serves or changes anything: the database, migrated, and the
 * data keys, opened with the master key (re-wrapped first from ENCRYPTION_MASTER_KEY_PREVIOUS when
 * it is set). Fails (and closes the database) on a master key that opens nothing.
 */
export async function openVault(
	config: Pick<
		Config,
		| 'databaseUrl'
		| 'databaseDirectUrl'
		| 'databasePooler'
		| 'databasePoolSize'
		| 'dataDir'
		| 'masterKeyHex'
		| 'previousMasterKeyHex'
		| 'production'
		| 'sources'
	>,
	options: OpenVaultOptions = {},
): Promise<OpenedVault> {
	// the data folder and every key are checked before the database is touched
	const dataDirOrigin =
		config.sources.VAULT_DATA_DIR === undefined
			? 'the default'
			: `set in ${config.sources.VAULT_DATA_DIR}`;
	const dataDir = options.db
		? undefined
		: dataDirProblem(config.dataDir, dataDirOrigin, writesDataDir(config));
	if (dataDir !== undefined) throw new ConfigError(dataDir);
	const { save: saveMasterKey, ...masterKey } = planMasterKey(config);
	const previous = config.previousMasterKeyHex
		? parseMasterKey(config.previousMasterKeyHex, 'ENCRYPTION_MASTER_KEY_PREVIOUS')
		: undefined;
	const db = options.db ?? (await openDatabase(config));
	const announce =
		options.announce ?? ((message) => process.stderr.write(`otobot-vault: ${message}\n`));
	try {
		// a generated development key is written once the database answered, not before
		saveMasterKey?.();
		const migrationsApplied = await migrateOn(
			options.db ? undefined : openMigrationDatabase(config),
			db,
		);
		let masterKeyRotation: MasterKeyRotation | undefined;
		if (previous) {
			masterKeyRotation = await rewrapDataKeysUnder(db, masterKey.key, previous);
			announce(masterKeyRotationMessage(masterKeyRotation));
		}
		const keyring = await Keyring.open(encryptionKeysStore(db), masterKey.key);
		return { db, keyring, masterKey, migrationsApplied, masterKeyRotation };
	} catch (error) {
		if (!options.db) await db.close();
		if (error instanceof MasterKeyMismatch) {
			throw new MasterKeyMismatch(
				error.version,
				masterKey.devKeyFile
					? `is not set: the key in ${masterKey.devKeyFile.path} was used`
					: `set in ${config.sources.ENCRYPTION_MASTER_KEY ?? 'the environment'}`,
			);
		}
		throw error;
	}
}

/** Migrates through `direct` (closed after) when there is one, else through `db`. */
async function migrateOn(direct: Database | undefined, db: Database): Promise<Migration[]> {
	try {
		return await migrate(direct ?? db, readMigrations(migrationsDirectory()));
	} finally {
		await direct?.close();
	}
}
