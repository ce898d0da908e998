import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/config.js';
import { writeBackupFile } from '../domain/backup/backup-file.js';
import {
	BackupOutputExists,
	outputFolderProblem,
	refuseExistingOutput,
} from '../domain/backup/backup-output.js';
import { CliFailure, reportFailure } from './cli-output.js';
import { DatabaseLocked } from '../storage/open-database.js';
import { currentSchema, dumpSchema, serverMajor } from '../storage/postgres-dump.js';
import { findPostgresTool } from '../storage/postgres-tools.js';
import { appliedMigrationVersions } from '../storage/vault-counts.js';
import { VERSION } from '../version.js';
import { openVault } from '../vault.js';
import { toolSearch } from './backup-setup.js';

/** The embedded database is held by `serve`: what to do instead, in one line. */
export const embeddedInUse = (error: DatabaseLocked) =>
	`The embedded database in ${error.path} is in use by process ${error.pid} (otobot-vault serve): ` +
	'PGlite serves one process at a time, so stop that process, run this command, then start it ' +
	'again; or run the vault on PostgreSQL (DATABASE_URL), which is backed up while it serves.';

/**
 * `otobot-vault backup --output FILE [--force]`: writes a consistent backup of the vault's database
 * to FILE (mode 0600, written beside it and renamed into place): PostgreSQL through pg_dump's
 * custom format, the embedded database through PGlite's data-directory dump; with a key check
 * value of the master key, never the key. An existing FILE is refused in one line unless `force`.
 * Exit 0 or 1.
 */
export async function backupCommand(
	config: Config,
	options: { output: string; force?: boolean },
): Promise<number> {
	const output = resolve(options.output);
	const replace = options.force === true;
	let vault: Awaited<ReturnType<typeof openVault>>;
	const folderProblem = outputFolderProblem(output);
	if (folderProblem) throw new CliFailure(folderProblem);
	try {
		refuseExistingOutput(output, replace);
		vault = await openVault(config);
	} catch (error) {
		if (error instanceof BackupOutputExists) {
			reportFailure(error.message);
			return 1;
		}
		if (!(error instanceof DatabaseLocked)) throw error;
		reportFailure(embeddedInUse(error));
		return 1;
	}
	const work = mkdtempSync(join(tmpdir(), 'otobot-backup-'));
	try {
		const payload = join(work, 'payload');
		const migrations = await appliedMigrationVersions(vault.db);
		let schema: string | undefined;
		if (vault.db.kind === 'postgres') {
			const pgDump = await findPostgresTool('pg_dump', await serverMajor(vault.db), toolSearch());
			schema = await currentSchema(vault.db);
			await dumpSchema(pgDump, config.databaseUrl!.reveal(), schema, payload);
		} else {
			const tar = await vault.db.dumpDataDir!();
			writeFileSync(payload, Buffer.from(await tar.arrayBuffer()), { mode: 0o600 });
		}
		const header = await writeBackupFile(
			output,
			payload,
			{
				kind: vault.db.kind,
				created_at: new Date().toISOString(),
				vault_version: VERSION,
				...(schema === undefined ? {} : { schema }),
				migrations,
			},
			vault.masterKey.key,
			{ replace },
		);
		console.log(
			`Backup written to ${output}: ${header.kind === 'postgres' ? 'PostgreSQL (pg_dump custom format)' : 'embedded database (PGlite data directory)'}, ` +
				`${header.payload_bytes} bytes, ${migrations.length} migrations. Keep the master key elsewhere: ` +
				'the backup opens only with it.',
		);
		return 0;
	} catch (error) {
		const { code, path } = error as NodeJS.ErrnoException;
		// the disk filled, the folder went away: the user's path, not the temporary file beside it
		if (typeof code === 'string' && path?.startsWith(dirname(output)))
			throw new CliFailure(`cannot write ${output}: ${code}`);
		// the file appeared while the backup was made: still not overwritten
		if (!(error instanceof BackupOutputExists)) throw error;
		reportFailure(error.message);
		return 1;
	} finally {
		rmSync(work, { recursive: true, force: true });
		await vault.db.close();
	}
}
