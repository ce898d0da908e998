import type { Queryable } from './database.js';

/** The one `vault_bootstrap` row: whether the bootstrap admin token was minted (or not needed). */
export function bootstrapStore(db: Queryable) {
	return {
		/**
		 * Claims the bootstrap: true for the one caller in the database's life that inserted the
		 * row (a concurrent claim waits for this transaction, then finds the row and gets false).
		 */
		async claim(): Promise<boolean> {
			const rows = await db.query(
				`INSERT INTO vault_bootstrap (singleton) VALUES (true) ON CONFLICT DO NOTHING RETURNING 1`,
			);
			return rows.length > 0;
		},

		/** Records which token the bootstrap minted (its id, never its value). */
		async recordToken(tokenId: string) {
			await db.query('UPDATE vault_bootstrap SET admin_token_id = $1', [tokenId]);
		},
	};
}
