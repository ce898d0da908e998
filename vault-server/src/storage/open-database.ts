import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Database } from './database.js';
import { openPgliteDatabase } from './pglite-database.js';
import { openPostgresDatabase, type PostgresOptions } from './postgres-database.js';
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

export type DatabaseSettings = Pick<
	Config,
	'databaseUrl' | 'databaseDirectUrl' | 'databasePooler' | 'databasePoolSize' | 'dataDir'
>;

/**
 * The driver's options for DATABASE_URL behind DATABASE_POOLER: unprepared statements and LISTEN
 * on DATABASE_DIRECT_URL (or nowhere) behind a transaction pooler (docs/DEPLOYMENT.md, "PgBouncer").
 */
function postgresOptions(config: DatabaseSettings, url: string): PostgresOptions {
	const transactionPooler = config.databasePooler === 'transaction';
	const direct = config.databaseDirectUrl?.reveal();
	return {
		url,
		poolSize: config.databasePoolSize,
		prepare: !transactionPooler,
		listenUrl: direct ?? (transactionPooler ? null : url),
	};
}

/**
 * The database migrations run on: one connection to DATABASE_DIRECT_URL when it is set (DDL and
 * its lock waits past the pooler), else undefined (they run on `db`, whose transaction-scoped
 * advisory lock works through a transaction pooler too). The caller closes it.
 */
export function openMigrationDatabase(config: DatabaseSettings): Database | undefined {
	const direct = config.databaseDirectUrl?.reveal();
	if (!config.databaseUrl || !direct) return undefined;
	return openPostgresDatabase({ url: direct, poolSize: 1 });
}

/**
 * PostgreSQL when DATABASE_URL is set, once it answered a first query (throws DatabaseUnreachable
 * otherwise); else the embedded PGlite in the data folder (throws DatabaseLocked while another
 * process has it).
 */
export async function openDatabase(
	config: DatabaseSettings & { sources?: Config['sources'] },
): Promise<Database> {
	if (config.databaseUrl) {
		const url = config.databaseUrl.reveal();
		const db = openPostgresDatabase(postgresOptions(config, url));
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
