import { CREATE_MIGRATIONS_TABLE, type Migration } from './migrations.js';

// run twice, the script would fail on every CREATE; it stops at once and says why instead
const REFUSE_IF_PRESENT = [
	'DO $$',
	'BEGIN',
	"\tIF to_regclass('schema_migrations') IS NOT NULL THEN",
	"\t\tRAISE EXCEPTION 'The Otobot Vault schema already exists in database %; nothing was changed.', current_database()",
	"\t\t\tUSING HINT = 'The vault applies later migrations itself when it starts (or: otobot-vault migrate).';",
	'\tEND IF;',
	'END',
	'$$;',
];

/**
 * Every migration in one script, for `psql -f sql/create-frontend-database.sql` (the original
 * design's install step). It records the versions it applied, so a vault started on that database
 * migrates nothing twice. psql only (`\set ON_ERROR_STOP on`); it refuses a database that already
 * has the schema. A test keeps the committed file equal to this output.
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
		'-- psql stops at the first error, also when the file is run with \\i in a session',
		'\\set ON_ERROR_STOP on',
		...REFUSE_IF_PRESENT,
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
