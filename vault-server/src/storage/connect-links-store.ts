import type { Queryable } from './database.js';

/** Where a link stands, in the words of the API: `open` is the only one that opens anything. */
export type ConnectLinkStatus = 'open' | 'used' | 'expired' | 'revoked';

export interface ConnectLinkRow {
	id: string;
	client_id: string;
	service: string;
	created_by: string | null;
	expires_at: Date;
	completed_at: Date | null;
	revoked_at: Date | null;
	revoked_reason: string | null;
	created_at: Date;
	/** Computed with the database's clock, so every vault process agrees. */
	expired: boolean;
	status: ConnectLinkStatus;
}

const STATUS = `CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN completed_at IS NOT NULL THEN 'used'
	WHEN expires_at <= now() THEN 'expired' ELSE 'open' END`;
const COLUMNS = `id, client_id, service, created_by, expires_at, completed_at, revoked_at,
	revoked_reason, created_at, expires_at <= now() AS expired, ${STATUS} AS status`;
/** A link that can still be opened and spent. */
const OPEN = 'completed_at IS NULL AND revoked_at IS NULL AND expires_at > now()';

export interface ConnectLinkQuery {
	clientId?: string;
	service?: string;
	status?: ConnectLinkStatus;
	/** Keyset pagination: only links listed after this one (newest first). */
	after?: string;
	limit: number;
}

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

		async get(id: string) {
			const rows = await db.query<ConnectLinkRow>(
				`SELECT ${COLUMNS} FROM connect_links WHERE id = $1`,
				[id],
			);
			return rows[0];
		},

		/**
		 * Newest first by (created_at, id); `after` is the id of the last link of the page before.
		 * Only the filters given are in the SQL, so a prepared statement's generic plan still reads
		 * a client's links through its index (`$1 IS NULL OR ...` would read them all).
		 */
		async list(query: ConnectLinkQuery) {
			const params: unknown[] = [];
			const conditions: string[] = [];
			const add = (value: unknown, condition: (placeholder: string) => string) => {
				if (value === undefined) return;
				params.push(value);
				conditions.push(condition(`$${params.length}`));
			};
			add(query.clientId, (p) => `client_id = ${p}`);
			add(query.service, (p) => `service = ${p}`);
			add(query.status, (p) => `${STATUS} = ${p}`);
			add(
				query.after,
				(p) =>
					`(created_at, id) < (SELECT created_at, id FROM connect_links WHERE id = ${p}::uuid)`,
			);
			const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
			return db.query<ConnectLinkRow>(
				`SELECT ${COLUMNS} FROM connect_links ${where}
				 ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1}`,
				[...params, query.limit],
			);
		},

		/** Revokes a link not used yet (an expired one too); the link as it is afterwards. */
		async revoke(id: string, reason: string) {
			await db.query(
				`UPDATE connect_links SET revoked_at = now(), revoked_reason = $2
				 WHERE id = $1 AND completed_at IS NULL AND revoked_at IS NULL`,
				[id, reason],
			);
			return this.get(id);
		},

		/** Revokes every open link of a client's service; how many. */
		async revokeOpen(clientId: string, service: string, reason: string): Promise<number> {
			const rows = await db.query(
				`UPDATE connect_links SET revoked_at = now(), revoked_reason = $3
				 WHERE client_id = $1 AND service = $2 AND ${OPEN} RETURNING id`,
				[clientId, service, reason],
			);
			return rows.length;
		},

		/**
		 * Gives a link spent by a callback whose exchange failed back to its holder, so the client
		 * can open it again. Only the callback that spent it calls this, once.
		 */
		async unspend(id: string) {
			await db.query(
				`UPDATE connect_links SET completed_at = NULL WHERE id = $1 AND revoked_at IS NULL`,
				[id],
			);
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
