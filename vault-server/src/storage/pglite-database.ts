import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable } from './database.js';

function queryableOf(db: PGlite | Transaction): Queryable {
	return {
		async query<Row>(text: string, params: readonly unknown[] = []) {
			const result = await db.query<Row>(text, params as unknown[]);
			return result.rows;
		},
		async script(text: string) {
			await db.exec(text);
		},
	};
}

/** The embedded default: a real PostgreSQL compiled to WASM, persisted in `dataDir` (or in memory). */
export async function openPgliteDatabase(dataDir: string | undefined): Promise<Database> {
	if (dataDir) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
	const db = await PGlite.create(dataDir);
	const base = queryableOf(db);
	const database: Database = {
		kind: 'pglite',
		...base,
		transaction: (work) => db.transaction((tx) => work(queryableOf(tx))),
		// notifications raised by this database's own statements, delivered in process: never lost
		async listen(channel, handlers) {
			const unlisten = await db.listen(channel, handlers.notify);
			handlers.listening(true);
			return unlisten;
		},
		withOwnConnection: () => ({ ...database, close: async () => {} }),
		poolUsage: () => ({ inUse: 0, size: 1 }),
		async ping() {
			await db.query('select 1');
		},
		dumpDataDir: () => db.dumpDataDir('gzip'),
		async close() {
			await db.close();
		},
	};
	return database;
}
