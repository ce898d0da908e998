import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Database } from './storage/database.js';
import { apiTokensStore } from './storage/api-tokens-store.js';
import { bootstrapStore } from './storage/bootstrap-store.js';
import { createApiToken, hashToken } from './domain/api-tokens.js';
import type { Queryable } from './storage/database.js';

/**
 * What the start found: a token minted into `minted`, the one minted before still active in
 * `kept` (said again at each start, for whoever missed the first), no admin token left, or
 * nothing to say.
 */
export type AdminBootstrap =
	| { minted: string }
	| { kept: string }
	| { noAdminLeft: true }
	| undefined;

/** How to make an admin token when none is left: the CLI talks to the database directly. */
export const CREATE_ADMIN_HINT =
	'No admin token is active and the bootstrap token was minted already, so none is created: ' +
	'create one with `otobot-vault token create --name <name> --scope admin` ' +
	'(or set ADMIN_API_TOKEN)';

/**
 * Writes `text` to `path` as a new 0600 file that replaces the old one at once (a temp file in
 * the same folder, then rename): whatever the old file's mode was, the token is never readable
 * by others, and a crash leaves the old file or the new one, never half of one.
 */
function writePrivateFile(path: string, text: string) {
	const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
	try {
		writeFileSync(temporary, text, { mode: 0o600, flag: 'wx' });
		chmodSync(temporary, 0o600); // the umask may have taken bits off, never added: this is exact
		renameSync(temporary, path);
	} catch (error) {
		rmSync(temporary, { force: true });
		throw error;
	}
}

/** The bootstrap file, when the token in it is still an active admin token. */
async function keptBootstrapToken(
	q: Queryable,
	dataDir: string,
): Promise<{ kept: string } | undefined> {
	const path = join(dataDir, 'admin-token');
	let token: string;
	try {
		token = readFileSync(path, 'utf8').trim();
	} catch {
		return undefined;
	}
	const row = await apiTokensStore(q).findByHash(hashToken(token));
	const active =
		row?.scope === 'admin' &&
		row.revoked_at === null &&
		(row.expires_at === null || row.expires_at.getTime() > Date.now());
	return active ? { kept: path } : undefined;
}

/**
 * Mints the bootstrap admin token once in the database's life: on the first start with no admin
 * token in the environment or the database, it creates one and writes it to `admin-token` (0600)
 * in the data folder, so an operator can use the API at once without the token reaching a log.
 * The claim, the token and the file are one transaction: a failed write leaves nothing minted.
 * Later, a start with no active admin token mints nothing and answers `{ noAdminLeft: true }`.
 */
export async function ensureAdminToken(
	db: Database,
	options: { environmentAdmins: number; dataDir: string },
): Promise<AdminBootstrap> {
	if (options.environmentAdmins > 0) return undefined;
	return db.transaction(async (tx): Promise<AdminBootstrap> => {
		const claimed = await bootstrapStore(tx).claim();
		const admins = await apiTokensStore(tx).countActiveAdmins();
		if (admins > 0) return (await keptBootstrapToken(tx, options.dataDir)) ?? undefined;
		if (!claimed) return { noAdminLeft: true };
		const { token, row } = await createApiToken(tx, { name: 'bootstrap admin', scope: 'admin' });
		await bootstrapStore(tx).recordToken(row.id);
		mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
		const path = join(options.dataDir, 'admin-token');
		writePrivateFile(path, `${token}\n`);
		return { minted: path };
	});
}
