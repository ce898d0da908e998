import type { Queryable } from './database.js';
import type { ConnectionRow } from './connections-store.js';

/** A connection as it was read: writes apply only if it is still so. */
export interface ConnectionKey {
	clientId: string;
	service: string;
	previous: Uint8Array;
}

/** How long a refused OAuth app keeps the background refresher away from its service's connections. */
/** A connection's state after a failed refresh was recorded: what its webhook events tell. */
export interface FailureState {
	client_id: string;
	service: string;
	status: string;
	refresh_failures: number;
	last_error: string | null;
}

const FAILURE_STATE = 'client_id, service, status, refresh_failures, last_error';

export const APP_REFUSAL_HOLD_SECONDS = 3600;

/** The refresh bookkeeping of connections: what is due, and the outcome of each attempt. */
export function refreshStore(db: Queryable) {
	return {
		/**
		 * Connections whose `next_refresh_at` has passed, oldest first (partial index on
		 * next_refresh_at); not those of a service whose OAuth app the provider refused within the
		 * hold (refresh-failure.ts): that is the service's problem, retried once the hold ends.
		 */
		async listDue(limit: number) {
			return db.query<{ client_id: string; service: string }>(
				`SELECT client_id, service FROM connections
				 WHERE next_refresh_at <= now() AND next_refresh_at IS NOT NULL AND status = 'active'
				   AND NOT EXISTS (SELECT 1 FROM services s WHERE s.name = connections.service
				     AND s.app_error_at > now() - make_interval(secs => $2))
				 ORDER BY next_refresh_at LIMIT $1`,
				[limit, APP_REFUSAL_HOLD_SECONDS],
			);
		},

		async readForRefresh(clientId: string, service: string) {
			const rows = await db.query<ConnectionRow>(
				`SELECT k.*, s.oauth_type AS type
				 FROM connections k JOIN services s ON s.name = k.service
				 WHERE k.client_id = $1 AND k.service = $2`,
				[clientId, service],
			);
			return rows[0];
		},

		/**
		 * Stores a refresh's result unless the connection changed since it was read (`previous` is
		 * the credential ciphertext then; every write makes a new one): `false` means superseded.
		 */
		async recordSuccess(update: {
			clientId: string;
			service: string;
			previous: Uint8Array;
			credentialCiphertext: Uint8Array;
			refreshTokenCiphertext: Uint8Array | null;
			keyVersion: number;
			tokenType: string | null;
			scopes: string[] | null;
			/** Kept answer fields, merged over the metadata (each refresh that carries them). */
			metadata: Record<string, unknown>;
			expiresAt: Date | null;
			nextRefreshAt: Date | null;
		}) {
			const rows = await db.query<{ client_id: string }>(
				`UPDATE connections SET
					credential_ciphertext = $3, refresh_token_ciphertext = $4, key_version = $5,
					token_type = COALESCE($6, token_type), scopes = COALESCE($7::text[], scopes),
					expires_at = $8, next_refresh_at = $9, last_refreshed_at = now(),
					refresh_failures = 0, last_error = NULL, status = 'active', updated_at = now(),
					metadata = metadata || $11::jsonb
				 WHERE client_id = $1 AND service = $2 AND credential_ciphertext = $10 RETURNING client_id`,
				[
					update.clientId,
					update.service,
					update.credentialCiphertext,
					update.refreshTokenCiphertext,
					update.keyVersion,
					update.tokenType,
					update.scopes,
					update.expiresAt,
					update.nextRefreshAt,
					update.previous,
					update.metadata,
				],
			);
			return rows.length > 0;
		},

		/** Counts a failed refresh; the row's state after it, or undefined when the row changed. */
		async recordFailure(key: ConnectionKey, lastError: string, nextRefreshAt: Date) {
			const [row] = await db.query<FailureState>(
				`UPDATE connections SET refresh_failures = refresh_failures + 1, last_error = $3,
					next_refresh_at = $4, updated_at = now()
				 WHERE client_id = $1 AND service = $2 AND credential_ciphertext = $5
				 RETURNING ${FAILURE_STATE}`,
				[key.clientId, key.service, lastError, nextRefreshAt, key.previous],
			);
			return row;
		},

		/**
		 * Marks the connection needs_reauth; its state after it, or undefined when the row changed
		 * or already needed re-authorisation (so the change is reported once).
		 */
		async markNeedsReauth(key: ConnectionKey, lastError: string) {
			const [row] = await db.query<FailureState>(
				`UPDATE connections SET status = 'needs_reauth', last_error = $3, next_refresh_at = NULL,
					refresh_failures = refresh_failures + 1, updated_at = now()
				 WHERE client_id = $1 AND service = $2 AND credential_ciphertext = $4
				   AND status <> 'needs_reauth'
				 RETURNING ${FAILURE_STATE}`,
				[key.clientId, key.service, lastError, key.previous],
			);
			return row;
		},
	};
}
