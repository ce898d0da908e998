import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Database } from './database.js';
import { openPgliteDatabase } from './pglite-database.js';
import { openPostgresDatabase } from './postgres-database.js';
import { DatabaseUnreachable, unreachableReason } from './database-unreachable.js';

export { DatabaseUnreachable } from './database-unreachable.js';

export class DatabaseLocked extends Error {
	constructor(
		readonly path: string,
		/** The process holding the database. */
		readonly pid: number,
	) {
		super(
			`The embedded database in ${path} is in use by process ${pid}. PGlite serves one process ` +
				'at a time: stop that process, use the HTTP API, or set DATABASE_URL to use PostgreSQL.',
		);
		this.name = 'DatabaseLocked';
	}
}

function processAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** One process at a time may open the embedded database; a lock file with its pid says which. */
export function lockEmbeddedDatabase(directory: string): () => void {
	mkdirSync(directory, { recursive: true, mode: 0o700 });
	const lockFile = join(directory, 'vault.pid');
	if (existsSync(lockFile)) {
		const pid = Number(readFileSync(lockFile, 'utf8').trim());
		if (pid && pid !== process.pid && processAlive(pid)) throw new DatabaseLocked(directory, pid);
	}
	writeFileSync(lockFile, `${process.pid}\n`, { mode: 0o600 });
	return () => rmSync(lockFile, { force: true });
}

/**
 * PostgreSQL when DATABASE_URL is set, once it answered a first query (throws DatabaseUnreachable
 * otherwise); else the embedded PGlite in the data folder (throws DatabaseLocked while another
 * process has it).
 */
export async function openDatabase(
	config: Pick<Config, 'databaseUrl' | 'databasePoolSize' | 'dataDir'> & {
		sources?: Config['sources'];
	},
): Promise<Database> {
	if (config.databaseUrl) {
		const url = config.databaseUrl.reveal();
		const db = openPostgresDatabase({ url, poolSize: config.databasePoolSize });
		try {
			await db.ping();
		} catch (error) {
			await db.close().catch(() => {});
			const source = config.sources?.DATABASE_URL ?? 'the environment';
			throw new DatabaseUnreachable(url, source, unreachableReason(error, url));
		}
		return db;
	}
	const directory = join(config.dataDir, 'pglite');
	const unlock = lockEmbeddedDatabase(config.dataDir);
	try {
		const db = await openPgliteDatabase(directory);
		return {
			...db,
			async close() {
				await db.close();
				unlock();
			},
		} satisfies Database;
	} catch (error) {
		unlock();
		throw error;
	}
}
