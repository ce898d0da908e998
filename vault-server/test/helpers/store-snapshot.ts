import type { Database } from '../../src/storage/database.js';

/**
 * What the vault stores, minus what every request moves (the audit log, last-use times), as one
 * string: a rejected request must leave it unchanged.
 */
export async function storeSnapshot(db: Database): Promise<string> {
	return JSON.stringify([
		await db.query('SELECT * FROM clients ORDER BY id'),
		await db.query('SELECT * FROM services ORDER BY name'),
		await db.query(
			`SELECT client_id, service, status, credential_ciphertext, refresh_token_ciphertext, expires_at,
				metadata, refresh_failures, last_error FROM connections ORDER BY 1, 2`,
		),
		await db.query(
			'SELECT id, name, scope, clients, expires_at, revoked_at FROM api_tokens ORDER BY id',
		),
		await db.query('SELECT version, status FROM encryption_keys ORDER BY version'),
		await db.query('SELECT * FROM connect_links ORDER BY 1'),
		await db.query('SELECT * FROM oauth_states ORDER BY 1'),
	]);
}
