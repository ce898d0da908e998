import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from './storage/database.js';
import { apiTokensStore } from './storage/api-tokens-store.js';
import { createApiToken } from './domain/api-tokens.js';

/**
 * First start with no admin token anywhere: create one and write it to a 0600 file in the data
 * folder, so an operator can use the API at once without the token ever reaching a log.
 */
export async function ensureAdminToken(
	db: Database,
	options: { environmentAdmins: number; dataDir: string },
): Promise<string | undefined> {
	if (options.environmentAdmins > 0) return undefined;
	if ((await apiTokensStore(db).countActiveAdmins()) > 0) return undefined;
	const { token } = await createApiToken(db, { name: 'bootstrap admin', scope: 'admin' });
	mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
	const path = join(options.dataDir, 'admin-token');
	writeFileSync(path, `${token}\n`, { mode: 0o600 });
	return path;
}
