import type { Queryable } from './database.js';

export interface VaultCounts {
	clients: number;
	connections: number;
	auditRows: number;
}

/** How many clients, connections and audit rows the database holds. */
export async function countVaultRows(db: Queryable): Promise<VaultCounts> {
	const [row] = await db.query<VaultCounts>(
		`SELECT (SELECT count(*)::int FROM clients) AS "clients",
		        (SELECT count(*)::int FROM connections) AS "connections",
		        (SELECT count(*)::int FROM audit_log) AS "auditRows"`,
	);
	return row!;
}

/** The versions in schema_migrations, ascending (none when the table is missing). */
export async function appliedMigrationVersions(db: Queryable): Promise<number[]> {
	const [exists] = await db.query<{ found: boolean }>(
		`SELECT to_regclass('schema_migrations') IS NOT NULL AS found`,
	);
	if (!exists?.found) return [];
	const rows = await db.query<{ version: number }>(
		'SELECT version FROM schema_migrations ORDER BY version',
	);
	return rows.map((row) => row.version);
}
