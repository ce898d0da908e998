import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config-error.js';
import {
	BackupKeyMismatch,
	openBackupFile,
	payloadStream,
	type OpenedBackup,
} from '../domain/backup/backup-file.js';
import { checkRestored, type RestoredCheck } from '../domain/backup/check-restored.js';
import type { Database } from '../storage/database.js';
import { openDatabase } from '../storage/open-database.js';
import { openPgliteDatabase } from '../storage/pglite-database.js';
import { loadPgliteDataDir } from '../storage/pglite-dump.js';
import { openPostgresDatabase } from '../storage/postgres-database.js';
import {
	createScratchDatabase,
	dropScratchDatabase,
	restoreArchive,
	schemaExists,
	serverMajor,
	urlOfDatabase,
} from '../storage/postgres-dump.js';
import { findPostgresTool } from '../storage/postgres-tools.js';
import { masterKeyForBackup, toolSearch } from './backup-setup.js';
import { payloadBlob } from './restore-command.js';
import { reportFailure } from './cli-output.js';

type Check = (db: Database) => Promise<RestoredCheck>;

/** Restores into a database of its own on DATABASE_URL's server, checks it, and drops it. */
async function inScratchPostgres(config: Config, file: string, backup: OpenedBackup, check: Check) {
	if (!config.databaseUrl)
		throw new ConfigError(
			'This is a backup of a PostgreSQL vault: set DATABASE_URL to a server where the drill may create (and drop) a scratch database',
		);
	const admin = await openDatabase(config);
	const name = `otobot_backup_verify_${randomBytes(6).toString('hex')}`;
	try {
		const pgRestore = await findPostgresTool('pg_restore', await serverMajor(admin), toolSearch());
		await createScratchDatabase(admin, name);
		const url = urlOfDatabase(config.databaseUrl.reveal(), name);
		const db = openPostgresDatabase({ url, poolSize: 2 });
		try {
			const schema = backup.header.schema ?? 'public';
			await restoreArchive(
				pgRestore,
				url,
				() => payloadStream(file, backup),
				(await schemaExists(db, schema)) ? schema : undefined,
			);
			return await check(db);
		} finally {
			await db.close();
		}
	} finally {
		await dropScratchDatabase(admin, name).catch(() => {});
		await admin.close();
	}
}

/** Restores into a temporary directory, checks it, and removes the directory. */
async function inScratchPglite(file: string, backup: OpenedBackup, check: Check) {
	const work = mkdtempSync(join(tmpdir(), 'otobot-backup-verify-'));
	try {
		const directory = join(work, 'pglite');
		await loadPgliteDataDir(directory, await payloadBlob(file, backup));
		const db = await openPgliteDatabase(directory);
		try {
			return await check(db);
		} finally {
			await db.close();
		}
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
}

function printReport(result: RestoredCheck): void {
	const { migrations, counts, ciphertexts, audit } = result;
	const schema =
		migrations.missing.length > 0
			? `FAILED, missing ${migrations.missing.join(', ')} recorded in the backup`
			: migrations.unknown.length > 0
				? `FAILED, ${migrations.unknown.join(', ')} unknown to this vault version (a newer vault made the backup)`
				: `OK, ${migrations.applied.length} applied` +
					(migrations.pending.length > 0
						? `, ${migrations.pending.length} newer to apply on restore`
						: '');
	console.log(`Migrations: ${schema}`);
	if (result.keyMismatch) console.log(`Data keys: FAILED, ${result.keyMismatch}`);
	if (ciphertexts) {
		console.log(
			`Ciphertexts: ${ciphertexts.failed.length === 0 ? 'OK' : 'FAILED'}, ${ciphertexts.opened} opened, ${ciphertexts.failed.length} did not`,
		);
		for (const failed of ciphertexts.failed.slice(0, 10))
			console.log(`  cannot decrypt ${failed.location} ${JSON.stringify(failed.key)}`);
	}
	if (audit) {
		console.log(
			audit.ok
				? `Audit chain: OK, ${audit.rows} rows verified, head ${audit.headId}`
				: `Audit chain: FAILED at row ${audit.problem!.id} (${audit.problem!.kind}), ${audit.rows} rows verified before it`,
		);
	}
	console.log(
		`Counts: ${counts.clients} clients, ${counts.connections} connections, ` +
			`${ciphertexts?.opened ?? 0} ciphertexts, ${counts.auditRows} audit rows`,
	);
	console.log(result.ok ? 'Backup OK.' : 'Backup FAILED.');
}

/**
 * `otobot-vault backup verify FILE`, the restore drill: checks the key check value against the
 * configured master key first (a wrong key fails at once), restores into a scratch database
 * (PostgreSQL: a database it creates and drops; embedded: a temporary directory), checks the
 * migrations, opens every ciphertext, verifies the audit chain and prints counts. Exit 0 when all
 * hold, 1 otherwise.
 */
export async function backupVerifyCommand(config: Config, fileArgument: string): Promise<number> {
	const file = resolve(fileArgument);
	const masterKey = masterKeyForBackup(config);
	let backup: OpenedBackup;
	try {
		backup = await openBackupFile(file, masterKey);
	} catch (error) {
		if (!(error instanceof BackupKeyMismatch)) throw error;
		reportFailure(error.message);
		return 1;
	}
	console.log(
		`Key check: OK. Backup of ${backup.header.kind === 'postgres' ? 'PostgreSQL' : 'the embedded database'}, ` +
			`made ${backup.header.created_at} by ${backup.header.vault_version}, ${backup.header.payload_bytes} bytes.`,
	);
	const check: Check = (db) => checkRestored(db, backup.header, masterKey);
	const result =
		backup.header.kind === 'postgres'
			? await inScratchPostgres(config, file, backup, check)
			: await inScratchPglite(file, backup, check);
	printReport(result);
	return result.ok ? 0 : 1;
}
