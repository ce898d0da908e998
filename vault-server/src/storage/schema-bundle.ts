import { CREATE_MIGRATIONS_TABLE, type Migration } from './migrations.js';

/**
 * Every migration in one script, for `psql -f sql/create-frontend-database.sql` (the original
 * design's install step). It records the versions it applied, so a vault started on that database
 * migrates nothing twice. A test keeps the committed file equal to this output.
 */
export function bundleSchema(migrations: Migration[]): string {
	const parts = migrations.map(
		(migration) =>
			`-- ${String(migration.version).padStart(4, '0')}_${migration.name}\n${migration.sql.trim()}\n\n` +
			`INSERT INTO schema_migrations (version, name) VALUES (${migration.version}, '${migration.name}');\n`,
	);
	return [
		'-- Otobot Vault: the whole schema in one file. GENERATED from sql/migrations by',
		'-- `otobot-vault schema-sql`; do not edit by hand.',
		'-- Usage: psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/create-frontend-database.sql',
		'',
		'BEGIN;',
		'',
		`${CREATE_MIGRATIONS_TABLE};`,
		'',
		...parts,
		'COMMIT;',
		'',
	].join('\n');
}
