import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { openPgliteDatabase } from '../src/storage/pglite-database.js';
import { openVault } from '../src/vault.js';

/**
 * Writes the OpenAPI document exactly as `GET /docs/json` serves it, for `redocly lint` (npm run
 * lint:openapi). The app is built on an in-memory PGlite database and never listens; nothing is
 * read from the environment, so a DATABASE_URL or key in the shell is never touched.
 *
 * Usage: node openapi-document.js <output.json>
 */
async function writeOpenApiDocument(output: string): Promise<void> {
	const config = loadConfig({
		LOG_LEVEL: 'warn',
		REFRESHER_ENABLED: 'false',
		FETCH_CACHE_SECONDS: '0',
		// throwaway values: the document does not depend on them
		ENCRYPTION_MASTER_KEY: randomBytes(32).toString('hex'),
		ADMIN_API_TOKEN: randomBytes(24).toString('base64url'),
	});
	const db = await openPgliteDatabase(undefined);
	try {
		const vault = await openVault(config, { db, announce: () => {} });
		const app = await buildApp({ config, db, keyring: vault.keyring });
		try {
			const answer = await app.inject({ url: '/docs/json' });
			if (answer.statusCode !== 200) throw new Error(`/docs/json answered ${answer.statusCode}`);
			mkdirSync(dirname(output), { recursive: true });
			writeFileSync(output, `${JSON.stringify(answer.json(), null, '\t')}\n`);
		} finally {
			await app.close();
		}
	} finally {
		await db.close();
	}
}

const output = process.argv[2];
if (!output) {
	process.stderr.write('usage: openapi-document <output.json>\n');
	process.exit(2);
}
await writeOpenApiDocument(resolve(output));
