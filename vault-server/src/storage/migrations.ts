import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './database.js';

export interface Migration {
	version: number;
	name: string;
	sql: string;
}

const MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
// an arbitrary constant: every vault process takes the same advisory lock before migrating
const MIGRATION_LOCK_KEY = 774_211_901;

/** Reads `NNNN_name.sql` files in version order. */
export function readMigrations(directory: string): Migration[] {
	return readdirSync(directory)
		.map((file) => ({ file, match: MIGRATION_FILE.exec(file) }))
		.filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
		.map(({ file, match }) => ({
			version: Number(match[1]),
			name: match[2]!,
			sql: readFileSync(join(directory, file), 'utf8'),
		}))
		.sort((a, b) => a.version - b.version);
}

export const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version integer PRIMARY KEY,
	name text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Applies each pending migration once, each in its own transaction. The transaction-scoped
 * advisory lock makes concurrent starts of several vault processes wait for each other instead
 * of applying a migration twice.
 */
export async function migrate(db: Database, migrations: Migration[]): Promise<Migration[]> {
	const applied: Migration[] = [];
	for (const migration of migrations) {
		const ran = await db.transaction(async (tx) => {
			await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
			await tx.query(CREATE_MIGRATIONS_TABLE);
			const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [
				migration.version,
			]);
			if (done.length > 0) return false;
			await tx.script(migration.sql);
			await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
				migration.version,
				migration.name,
			]);
			return true;
		});
		if (ran) applied.push(migration);
	}
	return applied;
}

/** Versions known to the code but not applied to the database. */
export async function pendingMigrations(
	db: Database,
	migrations: Migration[],
): Promise<Migration[]> {
	await db.query(CREATE_MIGRATIONS_TABLE);
	const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
	const done = new Set(rows.map((row) => row.version));
	return migrations.filter((migration) => !done.has(migration.version));
}
