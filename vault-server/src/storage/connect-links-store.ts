import type { Queryable } from './database.js';

export interface ConnectLinkRow {
	id: string;
	client_id: string;
	service: string;
	created_by: string | null;
	expires_at: Date;
	completed_at: Date | null;
	created_at: Date;
	/** Computed with the database's clock, so every vault process agrees. */
	expired: boolean;
}

const COLUMNS = `id, client_id, service, created_by, expires_at, completed_at, created_at,
	expires_at <= now() AS expired`;

/** Connect links, found by the SHA-256 of their token; the token itself is never stored. */
export function connectLinksStore(db: Queryable) {
	return {
		async insert(link: {
			tokenHash: Uint8Array;
			clientId: string;
			service: string;
			createdBy: string | null;
			expiresInMinutes: number;
		}) {
			const rows = await db.query<ConnectLinkRow>(
				`INSERT INTO connect_links (token_hash, client_id, service, created_by, expires_at)
				 VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5::int)) RETURNING ${COLUMNS}`,
				[link.tokenHash, link.clientId, link.service, link.createdBy, link.expiresInMinutes],
			);
			return rows[0]!;
		},

		async findByHash(tokenHash: Uint8Array) {
			const rows = await db.query<ConnectLinkRow>(
				`SELECT ${COLUMNS} FROM connect_links WHERE token_hash = $1`,
				[tokenHash],
			);
			return rows[0];
		},

		/** Marks the link used; false when it already was. */
		async markCompleted(id: string): Promise<boolean> {
			const rows = await db.query(
				`UPDATE connect_links SET completed_at = now() WHERE id = $1 AND completed_at IS NULL
				 RETURNING id`,
				[id],
			);
			return rows.length > 0;
		},

		/** Forgets links (and, by cascade, their states) expired for more than `days`. */
		async purgeExpired(days: number) {
			await db.query(
				`DELETE FROM connect_links WHERE expires_at < now() - make_interval(days => $1::int)`,
				[days],
			);
		},
	};
}

export type ConnectLinksStore = ReturnType<typeof connectLinksStore>;
