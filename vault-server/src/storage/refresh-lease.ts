import type { Queryable } from './database.js';
import type { ConnectionKey } from './refresh-store.js';

/**
 * The refresh lease of connections (migration 0010): who may call the provider for a connection
 * now, recorded in its row so that no pooled connection is held while the provider answers. Each
 * statement here is a single short compare-and-set; the database clock decides expiry.
 */
export function refreshLeaseStore(db: Queryable) {
	return {
		/**
		 * Takes the lease for `durationMs` if no live lease is held and the row is still as it was
		 * read (`previous` ciphertext). `false`: someone holds it, or the row changed meanwhile.
		 */
		async take(key: ConnectionKey, owner: string, durationMs: number): Promise<boolean> {
			const rows = await db.query<{ client_id: string }>(
				`UPDATE connections SET refresh_lease_owner = $3,
					refresh_lease_until = now() + make_interval(secs => $4::double precision / 1000)
				 WHERE client_id = $1 AND service = $2 AND credential_ciphertext = $5
					AND (refresh_lease_until IS NULL OR refresh_lease_until <= now())
				 RETURNING client_id`,
				[key.clientId, key.service, owner, durationMs, key.previous],
			);
			return rows.length > 0;
		},

		/**
		 * Inside a transaction: locks the row and tells whether `owner` still holds a live lease, so
		 * what the transaction writes next cannot race another holder.
		 */
		async stillHeld(clientId: string, service: string, owner: string): Promise<boolean> {
			const rows = await db.query<{ client_id: string }>(
				`SELECT client_id FROM connections
				 WHERE client_id = $1 AND service = $2 AND refresh_lease_owner = $3
					AND refresh_lease_until > now()
				 FOR UPDATE`,
				[clientId, service, owner],
			);
			return rows.length > 0;
		},

		/**
		 * Whether a refresh waiting on another holder may go on: the lease ended (released or expired),
		 * or the row is no longer as it was read (`previous` ciphertext), or it is gone.
		 */
		async waitIsOver(key: ConnectionKey): Promise<boolean> {
			const rows = await db.query<{ over: boolean }>(
				`SELECT refresh_lease_until IS NULL OR refresh_lease_until <= now()
					OR credential_ciphertext <> $3 AS over
				 FROM connections WHERE client_id = $1 AND service = $2`,
				[key.clientId, key.service, key.previous],
			);
			return rows[0]?.over !== false;
		},

		/** Gives the lease back (a no-op when it expired and someone else took it). */
		async release(clientId: string, service: string, owner: string): Promise<void> {
			await db.query(
				`UPDATE connections SET refresh_lease_owner = NULL, refresh_lease_until = NULL
				 WHERE client_id = $1 AND service = $2 AND refresh_lease_owner = $3`,
				[clientId, service, owner],
			);
		},

		/**
		 * Inside a transaction: locks the row and tells whether a refresh holds a live lease on it
		 * (rewrap leaves such a row alone; a lease taken later fails its compare-and-set instead).
		 */
		async lockUnlessLeased(clientId: string, service: string): Promise<boolean> {
			const rows = await db.query<{ leased: boolean }>(
				`SELECT refresh_lease_until IS NOT NULL AND refresh_lease_until > now() AS leased
				 FROM connections WHERE client_id = $1 AND service = $2 FOR UPDATE`,
				[clientId, service],
			);
			return rows[0]?.leased === false;
		},
	};
}
