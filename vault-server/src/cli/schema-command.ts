import { readMigrations } from '../storage/migrations.js';
import { migrationsDirectory } from '../storage/sql-directory.js';
import { bundleSchema } from '../storage/schema-bundle.js';

/** Prints the whole schema as one SQL script (what sql/create-frontend-database.sql holds). */
export async function schemaCommand(): Promise<number> {
	process.stdout.write(bundleSchema(readMigrations(migrationsDirectory())));
	return 0;
}
