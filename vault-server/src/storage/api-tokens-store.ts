import type { Queryable } from './database.js';

export type TokenScope = 'admin' | 'read';

export interface ApiTokenRow {
	id: string;
	name: string;
	scope: TokenScope;
	token_hash: Uint8Array;
	token_prefix: string;
	clients: string[] | null;
	expires_at: Date | null;
	revoked_at: Date | null;
	last_used_at: Date | null;
	created_at: Date;
}

export function apiTokensStore(db: Queryable) {
	return {
		async insert(token: {
			name: string;
			scope: TokenScope;
			tokenHash: Uint8Array;
			tokenPrefix: string;
			clients: string[] | null;
			expiresAt: Date | null;
		}) {
			const rows = await db.query<ApiTokenRow>(
				`INSERT INTO api_tokens (name, scope, token_hash, token_prefix, clients, expires_at)
				 VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING *`,
				[
					token.name,
					token.scope,
					token.tokenHash,
					token.tokenPrefix,
					token.clients,
					token.expiresAt,
				],
			);
			return rows[0]!;
		},

		async findByHash(tokenHash: Uint8Array) {
			const rows = await db.query<ApiTokenRow>('SELECT * FROM api_tokens WHERE token_hash = $1', [
				tokenHash,
			]);
			return rows[0];
		},

		async list() {
			return db.query<ApiTokenRow>('SELECT * FROM api_tokens ORDER BY created_at, id');
		},

		/**
		 * Marks the live tokens that expire within `days` and were not reported yet as reported, and
		 * returns their public fields (migration 0016's `expiring_event_at`).
		 */
		async claimExpiring(days: number) {
			return db.query<{
				id: string;
				name: string;
				scope: TokenScope;
				prefix: string;
				expires_at: Date;
			}>(
				`UPDATE api_tokens SET expiring_event_at = now()
				 WHERE revoked_at IS NULL AND expiring_event_at IS NULL AND expires_at IS NOT NULL
				   AND expires_at > now() AND expires_at <= now() + make_interval(days => $1::int)
				 RETURNING id, name, scope, token_prefix AS prefix, expires_at`,
				[days],
			);
		},

		async countActiveAdmins(): Promise<number> {
			const rows = await db.query<{ count: number }>(
				`SELECT count(*)::int AS count FROM api_tokens
				 WHERE scope = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
			);
			return rows[0]?.count ?? 0;
		},

		/** Marks a token revoked; `undefined` when no such token exists. */
		async revoke(id: string) {
			const rows = await db.query<ApiTokenRow>(
				'UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *',
				[id],
			);
			return rows[0];
		},
	};
}

export type ApiTokensStore = ReturnType<typeof apiTokensStore>;
