import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { Database } from '../../src/storage/database.js';
import { openPgliteDatabase } from '../../src/storage/pglite-database.js';
import { openPostgresDatabase } from '../../src/storage/postgres-database.js';
import { runsHere } from './skips.js';

export type Backend = 'pglite' | 'postgres';

export interface TestDatabase {
	db: Database;
	/** The connection URL (PostgreSQL only), for child processes. */
	url?: string;
	dispose(): Promise<void>;
}

const adminUrl = () => process.env.TEST_DATABASE_URL;

const NO_POSTGRES = 'TEST_DATABASE_URL is not set';

/**
 * The backends every storage test runs against: PGlite always, PostgreSQL when
 * TEST_DATABASE_URL is set. Under CI a missing PostgreSQL fails the run instead of skipping;
 * elsewhere the skip is recorded for the end-of-run summary. OTOBOT_TEST_BACKENDS=postgres (set by
 * mutation/vitest.config.mjs) keeps PostgreSQL only, when it runs.
 */
export function backends(): Backend[] {
	const missing = adminUrl() ? undefined : NO_POSTGRES;
	const both = runsHere('the PostgreSQL runs', missing);
	// `npm run mutation` mutates domain code, the same on either backend: PostgreSQL alone is faster
	if (both && process.env.OTOBOT_TEST_BACKENDS === 'postgres') return ['postgres'];
	return both ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * Whether a test that needs a real PostgreSQL (TEST_DATABASE_URL) runs here; throws under CI
 * without one, records the skip elsewhere (see {@link runsHere}).
 */
export const hasTestPostgres = (what = 'the PostgreSQL runs'): boolean =>
	runsHere(what, adminUrl() ? undefined : NO_POSTGRES);

/** A fresh, empty PostgreSQL database of its own, so test files can run in parallel. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
	const base = adminUrl();
	if (!base) throw new Error('TEST_DATABASE_URL is not set');
	const name = `otobot_test_${randomBytes(6).toString('hex')}`;
	const admin = postgres(base, { max: 1, onnotice: () => {} });
	await admin.unsafe(`CREATE DATABASE ${name}`);
	const url = new URL(base);
	url.pathname = `/${name}`;
	return {
		url: url.toString(),
		async drop() {
			await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
			await admin.end();
		},
	};
}

export async function openTestDatabase(backend: Backend): Promise<TestDatabase> {
	if (backend === 'pglite') {
		const db = await openPgliteDatabase(undefined);
		return { db, dispose: () => db.close() };
	}
	const created = await createPostgresDatabase();
	const db = openPostgresDatabase({ url: created.url, poolSize: 5 });
	return {
		db,
		url: created.url,
		async dispose() {
			await db.close();
			await created.drop();
		},
	};
}
