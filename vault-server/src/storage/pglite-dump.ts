import { chmodSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/** Whether `directory` holds no PGlite database (absent, or without PG_VERSION). */
export function pgliteDirectoryEmpty(directory: string): boolean {
	if (!existsSync(directory)) return true;
	return !existsSync(join(directory, 'PG_VERSION')) && readdirSync(directory).length === 0;
}

/**
 * Creates the PGlite database in `directory` (absent or empty) from `tarGz`, a data-directory
 * dump (`dumpDataDir`), and closes it. PGlite refuses a directory that holds a database already.
 * The directory is made mode 0700 first, as `serve` makes it (pglite-database.ts): PGlite itself
 * would create it 0755, every user of the machine able to list the database's files.
 */
export async function loadPgliteDataDir(directory: string, tarGz: Blob): Promise<void> {
	mkdirSync(directory, { recursive: true, mode: 0o700 });
	// an empty folder that was there already keeps its mode through mkdir
	chmodSync(directory, 0o700);
	const file = new File([tarGz], 'pgdata.tar.gz', { type: 'application/gzip' });
	const db = await PGlite.create(directory, { loadDataDir: file });
	await db.close();
}
