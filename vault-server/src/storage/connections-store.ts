import type { OAuthType } from './services-store.js';
import type { Queryable } from './database.js';

export type ConnectionStatus = 'active' | 'needs_reauth' | 'disabled';

export interface ConnectionRow {
	client_id: string;
	service: string;
	type: OAuthType;
	status: ConnectionStatus;
	credential_ciphertext: Uint8Array;
	refresh_token_ciphertext: Uint8Array | null;
	key_version: number;
	token_type: string | null;
	scopes: string[];
	expires_at: Date | null;
	metadata: Record<string, unknown>;
	/** The regional accounts server the connection was made at (migration 0012), or null. */
	accounts_server: string | null;
	last_used_at: Date | null;
	last_refreshed_at: Date | null;
	next_refresh_at: Date | null;
	refresh_failures: number;
	last_error: string | null;
	created_at: Date;
	updated_at: Date;
}

export interface ConnectionWrite {
	clientId: string;
	service: string;
	credentialCiphertext: Uint8Array;
	refreshTokenCiphertext: Uint8Array | null;
	keyVersion: number;
	tokenType: string | null;
	scopes: string[];
	expiresAt: Date | null;
	nextRefreshAt: Date | null;
	metadata: Record<string, unknown>;
	/** The regional accounts server it was made at; null: the service's own token URL. */
	accountsServer?: string | null;
}

export interface FetchKey {
	clientId: string;
	service: string;
}

export type FetchLookup =
	| { clientExists: false }
	| { clientExists: true; connection: ConnectionRow | undefined };

const SELECT = `SELECT k.*, s.oauth_type AS type FROM connections k JOIN services s ON s.name = k.service`;

export function connectionsStore(db: Queryable) {
	return {
		/**
		 * Creates or replaces the connection of a client to a service, back to status active with
		 * fresh refresh bookkeeping. `created` tells a new row from a replaced one.
		 */
		async upsert(write: ConnectionWrite): Promise<{ created: boolean }> {
			const rows = await db.query<{ created: boolean }>(
				`INSERT INTO connections (client_id, service, credential_ciphertext, refresh_token_ciphertext,
					key_version, token_type, scopes, expires_at, next_refresh_at, metadata, accounts_server)
				 VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8, $9, $10::jsonb, $11)
				 ON CONFLICT (client_id, service) DO UPDATE SET
					status = 'active',
					credential_ciphertext = EXCLUDED.credential_ciphertext,
					refresh_token_ciphertext = EXCLUDED.refresh_token_ciphertext,
					key_version = EXCLUDED.key_version,
					token_type = EXCLUDED.token_type,
					scopes = EXCLUDED.scopes,
					expires_at = EXCLUDED.expires_at,
					next_refresh_at = EXCLUDED.next_refresh_at,
					metadata = EXCLUDED.metadata,
					accounts_server = EXCLUDED.accounts_server,
					refresh_failures = 0,
					last_error = NULL,
					updated_at = now()
				 RETURNING (xmax = 0) AS created`,
				[
					write.clientId,
					write.service,
					write.credentialCiphertext,
					write.refreshTokenCiphertext,
					write.keyVersion,
					write.tokenType,
					write.scopes,
					write.expiresAt,
					write.nextRefreshAt,
					write.metadata,
					write.accountsServer ?? null,
				],
			);
			return { created: rows[0]?.created === true };
		},

		/**
		 * The fetch path's one query, for many fetches at once: per asked pair, whether the client
		 * exists (to tell an unknown client from a missing connection) and its connection, if any.
		 * Answers in the order asked.
		 */
		async findManyForFetch(pairs: readonly FetchKey[]): Promise<FetchLookup[]> {
			const rows = await db.query<Partial<ConnectionRow> & { n: number; client_exists: boolean }>(
				`SELECT q.n::int AS n, c.id IS NOT NULL AS client_exists, k.*, s.oauth_type AS type
				 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(client_id, service, n)
				 LEFT JOIN clients c ON c.id = q.client_id
				 LEFT JOIN connections k ON k.client_id = c.id AND k.service = q.service
				 LEFT JOIN services s ON s.name = k.service`,
				[pairs.map((pair) => pair.clientId), pairs.map((pair) => pair.service)],
			);
			const found: FetchLookup[] = pairs.map(() => ({ clientExists: false }));
			// the row keeps its n and client_exists: copying twenty fields away from them costs more
			for (const row of rows) {
				if (row.client_exists) {
					found[row.n - 1] = {
						clientExists: true,
						connection: row.service ? (row as ConnectionRow) : undefined,
					};
				}
			}
			return found;
		},

		async get(clientId: string, service: string) {
			const rows = await db.query<ConnectionRow>(
				`${SELECT} WHERE k.client_id = $1 AND k.service = $2`,
				[clientId, service],
			);
			return rows[0];
		},

		/** Every connection (diagnostics walk them all). */
		async listAll() {
			return db.query<ConnectionRow>(`${SELECT} ORDER BY k.client_id, k.service`);
		},

		async listForClient(clientId: string) {
			return db.query<ConnectionRow>(`${SELECT} WHERE k.client_id = $1 ORDER BY k.service`, [
				clientId,
			]);
		},

		async delete(clientId: string, service: string): Promise<boolean> {
			const rows = await db.query(
				'DELETE FROM connections WHERE client_id = $1 AND service = $2 RETURNING service',
				[clientId, service],
			);
			return rows.length > 0;
		},
	};
}

export type ConnectionsStore = ReturnType<typeof connectionsStore>;
