import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../src/storage/database.js';
import { migrate, readMigrations } from '../src/storage/migrations.js';
import { migrationsDirectory, sqlDirectory } from '../src/storage/sql-directory.js';
import { bundleSchema } from '../src/storage/schema-bundle.js';
import { backends, openTestDatabase, type TestDatabase } from './helpers/databases.js';

const migrations = readMigrations(migrationsDirectory());
const bundlePath = join(sqlDirectory(), 'create-frontend-database.sql');

/** Tables, columns, defaults, indexes, constraints and seeded rows: what "the same schema" means. */
async function describeSchema(db: Queryable) {
	return JSON.stringify({
		columns: await db.query(
			`SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
			 WHERE table_schema = 'public' ORDER BY table_name, column_name`,
		),
		indexes: await db.query(
			`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`,
		),
		constraints: await db.query(
			`SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
			 WHERE connamespace = 'public'::regnamespace ORDER BY conname`,
		),
		migrations: await db.query('SELECT version, name FROM schema_migrations ORDER BY version'),
		services: await db.query(
			'SELECT name, display_name, oauth_type, oauth_token_url FROM services ORDER BY name',
		),
	});
}

describe('sql/create-frontend-database.sql', () => {
	it('is the generated bundle of the migrations (run `otobot-vault schema-sql` after adding one)', () => {
		expect(readFileSync(bundlePath, 'utf8')).toBe(bundleSchema(migrations));
	});

	it('migration files are numbered without gaps', () => {
		expect(migrations.map((m) => m.version)).toEqual(migrations.map((_m, index) => index + 1));
	});
});

describe.each(backends())('the bundle and the migrations on %s', (backend) => {
	const opened: TestDatabase[] = [];
	afterAll(async () => Promise.all(opened.map((d) => d.dispose())));

	it('produce the same schema, and a vault started on the bundle migrates nothing', async () => {
		const [fromBundle, fromMigrations] = await Promise.all([
			openTestDatabase(backend),
			openTestDatabase(backend),
		]);
		opened.push(fromBundle, fromMigrations);
		// psql runs the file's own BEGIN/COMMIT and meta-commands; a pooled driver needs its
		// transaction instead, and knows no meta-command
		const body = readFileSync(bundlePath, 'utf8').replace(/^(BEGIN;|COMMIT;|\\.*)$/gm, '');
		await fromBundle.db.transaction((tx) => tx.script(body));
		await migrate(fromMigrations.db, migrations);
		expect(await describeSchema(fromBundle.db)).toBe(await describeSchema(fromMigrations.db));
		expect(await migrate(fromBundle.db, migrations)).toEqual([]);
	});
});
