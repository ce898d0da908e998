import type { Queryable } from './database.js';

export interface ConsoleSessionRow {
	id_sha256: Uint8Array;
	admin_token_sha256: Uint8Array;
	actor_id: string;
	csrf_token: string;
	created_at: Date;
	last_seen_at: Date;
	expires_at: Date;
}

/** SQL of the operator console's sessions (migration 0014); ids and tokens arrive as digests. */
export function consoleSessionsStore(db: Queryable) {
	return {
		async insert(session: {
			idSha256: Uint8Array;
			adminTokenSha256: Uint8Array;
			actorId: string;
			csrfToken: string;
			maxMs: number;
		}) {
			const rows = await db.query<ConsoleSessionRow>(
				`INSERT INTO console_sessions (id_sha256, admin_token_sha256, actor_id, csrf_token, expires_at)
				 VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond') RETURNING *`,
				[
					session.idSha256,
					session.adminTokenSha256,
					session.actorId,
					session.csrfToken,
					session.maxMs,
				],
			);
			return rows[0]!;
		},

		/** The session if it is within both expiries, else undefined (an expired one is deleted). */
		async findLive(idSha256: Uint8Array, idleMs: number) {
			const rows = await db.query<ConsoleSessionRow & { live: boolean }>(
				`SELECT *, (expires_at > now() AND last_seen_at > now() - $2 * interval '1 millisecond') AS live
				 FROM console_sessions WHERE id_sha256 = $1`,
				[idSha256, idleMs],
			);
			const row = rows[0];
			if (row && !row.live) await this.delete(idSha256);
			return row?.live ? row : undefined;
		},

		/** Moves the idle expiry on, at most once per `everyMs` (a page load makes several calls). */
		async touch(idSha256: Uint8Array, everyMs: number) {
			await db.query(
				`UPDATE console_sessions SET last_seen_at = now()
				 WHERE id_sha256 = $1 AND last_seen_at < now() - $2 * interval '1 millisecond'`,
				[idSha256, everyMs],
			);
		},

		async delete(idSha256: Uint8Array): Promise<boolean> {
			const rows = await db.query(
				'DELETE FROM console_sessions WHERE id_sha256 = $1 RETURNING actor_id',
				[idSha256],
			);
			return rows.length > 0;
		},

		/** Deletes every session past either expiry; returns how many. */
		async deleteExpired(idleMs: number): Promise<number> {
			const rows = await db.query(
				`DELETE FROM console_sessions
				 WHERE expires_at <= now() OR last_seen_at <= now() - $1 * interval '1 millisecond'
				 RETURNING actor_id`,
				[idleMs],
			);
			return rows.length;
		},
	};
}
