import { openAsBlob } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/config.js';
import { openBackupFile, payloadStream, type OpenedBackup } from '../domain/backup/backup-file.js';
import { DatabaseLocked, lockEmbeddedDatabase, openDatabase } from '../storage/open-database.js';
import { loadPgliteDataDir, pgliteDirectoryEmpty } from '../storage/pglite-dump.js';
import {
	relationsInSchema,
	restoreArchive,
	schemaExists,
	serverMajor,
} from '../storage/postgres-dump.js';
import { findPostgresTool } from '../storage/postgres-tools.js';
import { countVaultRows } from '../storage/vault-counts.js';
import { openVault } from '../vault.js';
import { embeddedInUse } from './backup-command.js';
import { masterKeyForBackup, toolSearch } from './backup-setup.js';
import { reportFailure } from './cli-output.js';

/** The payload of a PGlite backup as a Blob (PGlite reads its tar from one). */
export const payloadBlob = async (file: string, backup: OpenedBackup) =>
	(await openAsBlob(file)).slice(backup.payloadOffset);

async function restorePostgres(config: Config, file: string, backup: OpenedBackup) {
	const db = await openDatabase(config);
	try {
		const present = await relationsInSchema(db);
		if (present.length > 0) {
			reportFailure(
				`Refusing to restore: the database at DATABASE_URL is not empty (it has ${present.join(', ')}, ...). ` +
					'Restore into a new, empty database (createdb) and point DATABASE_URL at it.',
			);
			return false;
		}
		const pgRestore = await findPostgresTool('pg_restore', await serverMajor(db), toolSearch());
		const schema = backup.header.schema ?? 'public';
		await restoreArchive(
			pgRestore,
			config.databaseUrl!.reveal(),
			() => payloadStream(file, backup),
			(await schemaExists(db, schema)) ? schema : undefined,
		);
		return true;
	} finally {
		await db.close();
	}
}

async function restoreEmbedded(config: Config, file: string, backup: OpenedBackup) {
	const directory = join(config.dataDir, 'pglite');
	const unlock = lockEmbeddedDatabase(config.dataDir);
	try {
		if (!pgliteDirectoryEmpty(directory)) {
			reportFailure(
				`Refusing to restore: ${directory} already holds an embedded database. Restore into an ` +
					'empty data folder (VAULT_DATA_DIR), or move that database away first.',
			);
			return false;
		}
		await loadPgliteDataDir(directory, await payloadBlob(file, backup));
		return true;
	} finally {
		unlock();
	}
}

/**
 * `otobot-vault restore FILE`: restores a backup into the configured database, which must be
 * empty (a non-empty one is refused in one line), after checking the configured master key
 * against the backup's key check. Then opens the vault (applying newer migrations) and prints
 * counts. Exit 0, or 1 when refused or failed.
 */
export async function restoreCommand(config: Config, fileArgument: string): Promise<number> {
	const file = resolve(fileArgument);
	const backup = await openBackupFile(file, masterKeyForBackup(config));
	const kind = config.databaseUrl ? 'postgres' : 'pglite';
	if (backup.header.kind !== kind) {
		reportFailure(
			backup.header.kind === 'postgres'
				? 'Refusing to restore: this is a backup of a PostgreSQL vault; set DATABASE_URL to an empty database to restore it into.'
				: 'Refusing to restore: this is a backup of the embedded database; unset DATABASE_URL to restore it into the data folder (VAULT_DATA_DIR).',
		);
		return 1;
	}
	try {
		const restored =
			kind === 'postgres'
				? await restorePostgres(config, file, backup)
				: await restoreEmbedded(config, file, backup);
		if (!restored) return 1;
	} catch (error) {
		if (!(error instanceof DatabaseLocked)) throw error;
		reportFailure(embeddedInUse(error));
		return 1;
	}
	const vault = await openVault(config);
	try {
		const counts = await countVaultRows(vault.db);
		const applied = vault.migrationsApplied.map((m) => m.version);
		console.log(
			`Restored ${file} (made ${backup.header.created_at} by ${backup.header.vault_version}): ` +
				`${counts.clients} clients, ${counts.connections} connections, ${counts.auditRows} audit rows` +
				(applied.length > 0 ? `; applied newer migrations ${applied.join(', ')}.` : '.'),
		);
		return 0;
	} finally {
		await vault.db.close();
	}
}
