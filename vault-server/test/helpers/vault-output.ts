import type { FastifyInstance } from 'fastify';
import type { Database } from '../../src/storage/database.js';
import { asAdmin } from './vault-app.js';

/** The admin reports that summarise what the vault holds; none may show a secret. */
const REPORTS = [
	'/metrics',
	'/v1/audit?limit=1000',
	'/v1/monitoring',
	'/v1/alerts?status=all',
	'/v1/tokens',
	'/v1/services',
	'/v1/clients/acme/connections',
];

/**
 * Everything the vault wrote or would show, by source: its logs, the reports above, and every row
 * of every table (ciphertexts appear as bytes, so a plaintext secret would stand out).
 */
export async function vaultOutput(
	app: FastifyInstance,
	db: Database,
	extra: Record<string, string>,
): Promise<Record<string, string>> {
	const sources: Record<string, string> = { ...extra };
	for (const url of REPORTS)
		sources[`GET ${url}`] = (await app.inject({ url, headers: asAdmin })).body;
	const tables = await db.query<{ tablename: string }>(
		`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
	);
	for (const { tablename } of tables) {
		sources[`table ${tablename}`] = JSON.stringify(await db.query(`SELECT * FROM ${tablename}`));
	}
	return sources;
}
