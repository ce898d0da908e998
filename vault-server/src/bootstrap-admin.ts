import {
	chmodSync,
	existsSync,
	mkdirSync,
	readdirSync,
	readFileSync,
	renameSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
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

/** The bootstrap token file's usual name; others are `admin-token-<database>` (bootstrapFile). */
export const ADMIN_TOKEN_FILE = 'admin-token';
/** The name the embedded database's token file takes when `admin-token` holds another token. */
export const EMBEDDED_ADMIN_TOKEN_FILE = `${ADMIN_TOKEN_FILE}-embedded`;
const TOKEN_FILE_NAME = /^admin-token(-[A-Za-z0-9_.-]+)?$/;

const readToken = (path: string): string => {
	try {
		return readFileSync(path, 'utf8').trim();
	} catch {
		return '';
	}
};

/**
 * The bootstrap token files of the data folder (`admin-token`, `admin-token-<database>`), first
 * whose token is an active admin token of this database. Several vaults may share a folder (the
 * embedded one and a PostgreSQL one started from the same place), each with its own file.
 */
async function keptBootstrapToken(
	q: Queryable,
	dataDir: string,
): Promise<{ kept: string } | undefined> {
	let names: string[];
	try {
		names = readdirSync(dataDir).filter((name) => TOKEN_FILE_NAME.test(name));
	} catch {
		return undefined;
	}
	for (const name of names.sort()) {
		const token = readToken(join(dataDir, name));
		if (!token) continue;
		const row = await apiTokensStore(q).findByHash(hashToken(token));
		const active =
			row?.scope === 'admin' &&
			row.revoked_at === null &&
			(row.expires_at === null || row.expires_at.getTime() > Date.now());
		if (active) return { kept: join(dataDir, name) };
	}
	return undefined;
}

/**
 * Where a new bootstrap token goes: `admin-token`, unless that file holds a token already (another
 * database's: this one mints only once); then a file named for the database,
 * `admin-token-embedded` or `admin-token-<current_database()>`, with a random suffix when that
 * one is taken too. An existing token file is never overwritten.
 */
async function bootstrapFile(q: Queryable, kind: Database['kind'], dataDir: string) {
	const usual = join(dataDir, ADMIN_TOKEN_FILE);
	if (!readToken(usual)) return usual;
	let label = 'embedded';
	if (kind === 'postgres') {
		const [row] = await q.query<{ name: string }>('SELECT current_database() AS name');
		label = (row?.name ?? 'postgres').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 63);
	}
	const named = join(dataDir, `${ADMIN_TOKEN_FILE}-${label}`);
	if (!existsSync(named)) return named;
	return `${named}-${randomBytes(4).toString('hex')}`;
}

/**
 * Mints the bootstrap admin token once in the database's life: on the first start with no admin
 * token in the environment or the database, it creates one and writes it to `admin-token` (0600)
 * in the data folder, or to a file named for the database when `admin-token` holds another
 * database's token (see bootstrapFile), so an operator can use the API at once without the token
 * reaching a log. `minted` and `kept` are the file's path.
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
		const path = await bootstrapFile(tx, db.kind, options.dataDir);
		writePrivateFile(path, `${token}\n`);
		return { minted: path };
	});
}
