import type { Queryable } from './database.js';

/** A state with the link it was issued for. */
export interface OAuthStateRow {
	state_hash: Uint8Array;
	link_id: string;
	code_verifier_ciphertext: Uint8Array | null;
	used_at: Date | null;
	expired: boolean;
	client_id: string;
	service: string;
	link_completed_at: Date | null;
}

/** A state consumed by a callback, and whether the same statement spent its link. */
export interface ConsumedStateRow extends OAuthStateRow {
	/** True for the one callback that holds the link; false when it was used, revoked or expired. */
	link_spent: boolean;
	link_revoked: boolean;
	link_expired: boolean;
}

const JOINED = `s.state_hash, s.link_id, s.code_verifier_ciphertext, s.used_at,
	s.expires_at <= now() AS expired, l.client_id, l.service, l.completed_at AS link_completed_at`;

/** OAuth states, stored as the SHA-256 of the value sent to the provider. */
export function oauthStatesStore(db: Queryable) {
	return {
		async insert(state: {
			stateHash: Uint8Array;
			linkId: string;
			codeVerifierCiphertext: Uint8Array | null;
			expiresInSeconds: number;
		}) {
			await db.query(
				`INSERT INTO oauth_states (state_hash, link_id, code_verifier_ciphertext, expires_at)
				 VALUES ($1, $2, $3, now() + make_interval(secs => $4::int))`,
				[state.stateHash, state.linkId, state.codeVerifierCiphertext, state.expiresInSeconds],
			);
		},

		/**
		 * Marks an unused, unexpired state used and spends its link if the link is open, in one
		 * statement: of two callbacks racing with the same state exactly one gets the row, and of
		 * two callbacks with two states of one link exactly one gets `link_spent` (the other waits
		 * for the link row's lock, then finds it spent). The link columns besides `link_spent` are
		 * as they were before the statement.
		 */
		async consume(stateHash: Uint8Array) {
			const rows = await db.query<ConsumedStateRow>(
				`WITH consumed AS (
					UPDATE oauth_states SET used_at = now()
					WHERE state_hash = $1 AND used_at IS NULL AND expires_at > now()
					RETURNING *
				 ), spent AS (
					UPDATE connect_links SET completed_at = now()
					WHERE id = (SELECT link_id FROM consumed) AND completed_at IS NULL
					  AND revoked_at IS NULL AND expires_at > now()
					RETURNING id
				 )
				 SELECT ${JOINED}, EXISTS (SELECT 1 FROM spent) AS link_spent,
				   l.revoked_at IS NOT NULL AS link_revoked, l.expires_at <= now() AS link_expired
				 FROM consumed s JOIN connect_links l ON l.id = s.link_id`,
				[stateHash],
			);
			return rows[0];
		},

		/** The state as it is, to tell why it could not be consumed. */
		async find(stateHash: Uint8Array) {
			const rows = await db.query<OAuthStateRow>(
				`SELECT ${JOINED} FROM oauth_states s JOIN connect_links l ON l.id = s.link_id
				 WHERE s.state_hash = $1`,
				[stateHash],
			);
			return rows[0];
		},

		/** Forgets states expired for more than a day (kept that long to name a replay as such). */
		async purgeExpired() {
			await db.query(`DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'`);
		},
	};
}

export type OAuthStatesStore = ReturnType<typeof oauthStatesStore>;
