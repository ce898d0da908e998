import type { Queryable } from './database.js';

/** What one audited request records. Never a secret: tokens appear only as their id and name. */
export interface AuditEntry {
	occurred_at: string;
	request_id: string | null;
	actor_id: string | null;
	actor_name: string | null;
	action: string;
	client_id: string | null;
	service: string | null;
	status_code: number | null;
	error_code: string | null;
	ip: string | null;
	user_agent: string | null;
	duration_ms: number | null;
	workflow_id: string | null;
	execution_id: string | null;
	details: Record<string, unknown> | null;
}

export interface AuditRow extends AuditEntry {
	id: number;
	prev_hash: Uint8Array;
	hash: Uint8Array;
}

export interface AuditQuery {
	clientId?: string;
	service?: string;
	since?: Date;
	limit: number;
}

const READ_COLUMNS = `id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at,
	request_id, actor_id, actor_name, action, client_id, service, status_code, error_code, ip,
	user_agent, duration_ms, workflow_id, execution_id, details, prev_hash, hash`;

export function auditStore(db: Queryable) {
	return {
		async readHead() {
			const rows = await db.query<{ last_id: number; last_hash: Uint8Array }>(
				'SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1',
			);
			return rows[0];
		},

		/**
		 * Appends rows to the chain in one statement (audit_append_contents: locks the head, hashes,
		 * inserts, moves the head) and marks the connections and tokens used, committed as one.
		 * Each content is the canonical JSON of a row: hashed as it is, and the row read from it.
		 */
		async append(
			contents: string[],
			usedConnections: { client_id: string; service: string }[],
			usedTokens: string[],
		) {
			// a json parameter: the drivers encode it with JSON.stringify, far cheaper than an array literal
			await db.query('SELECT audit_append_contents($1::json, $2::jsonb, $3::uuid[])', [
				contents,
				usedConnections,
				usedTokens,
			]);
		},

		/** Rows in chain order, from `afterId` on: the verifier reads the log page by page. */
		async page(afterId: number, limit: number) {
			return db.query<AuditRow>(
				`SELECT ${READ_COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`,
				[afterId, limit],
			);
		},

		async search(query: AuditQuery) {
			return db.query<AuditRow>(
				`SELECT ${READ_COLUMNS} FROM audit_log
				 WHERE ($1::text IS NULL OR client_id = $1)
				   AND ($2::text IS NULL OR service = $2)
				   AND ($3::timestamptz IS NULL OR occurred_at >= $3)
				 ORDER BY id DESC LIMIT $4`,
				[query.clientId ?? null, query.service ?? null, query.since ?? null, query.limit],
			);
		},
	};
}

export type AuditStore = ReturnType<typeof auditStore>;
