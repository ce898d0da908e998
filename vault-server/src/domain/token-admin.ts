import { VaultError } from '../errors.js';
import type { Database } from '../storage/database.js';
import { apiTokensStore, type ApiTokenRow } from '../storage/api-tokens-store.js';
import { createApiToken, type NewToken } from './api-tokens.js';

/** A database token as the API shows it: its id, name, scope and dates, never its hash. */
export function publicToken(row: ApiTokenRow) {
	return {
		id: row.id,
		name: row.name,
		scope: row.scope,
		prefix: row.token_prefix,
		clients: row.clients,
		expires_at: row.expires_at,
		revoked_at: row.revoked_at,
		last_used_at: row.last_used_at,
		created_at: row.created_at,
	};
}

/**
 * Creates a database token for POST /v1/tokens: its public view plus the value, shown this once.
 * Throws VALIDATION_FAILED (400) for an admin token limited to clients (admin reaches every one).
 */
export async function issueApiToken(db: Database, request: NewToken) {
	if (request.scope === 'admin' && request.clients) {
		throw new VaultError('VALIDATION_FAILED', 'An admin token cannot be limited to clients');
	}
	const { token, row } = await createApiToken(db, request);
	return { ...publicToken(row), token };
}

/** Every database token, oldest first, as public views. */
export async function listApiTokens(db: Database) {
	return (await apiTokensStore(db).list()).map(publicToken);
}

/**
 * Revokes a token (revoking twice keeps the first date). Returns its public view; throws
 * TOKEN_NOT_FOUND (404) when no token has that id.
 */
export async function revokeApiToken(db: Database, id: string) {
	const row = await apiTokensStore(db).revoke(id);
	if (!row) throw new VaultError('TOKEN_NOT_FOUND', 'No token with that id');
	return publicToken(row);
}
