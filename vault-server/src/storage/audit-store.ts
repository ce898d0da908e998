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

export interface ChainedEntry extends AuditEntry {
	id: number;
	prev_hash: string;
	hash: string;
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
		/** Locks the chain head for the rest of the transaction and returns it. */
		async lockHead() {
			const rows = await db.query<{ last_id: number; last_hash: Uint8Array }>(
				'SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE',
			);
			const head = rows[0];
			if (!head) throw new Error('audit_chain_head is missing');
			return head;
		},

		async readHead() {
			const rows = await db.query<{ last_id: number; last_hash: Uint8Array }>(
				'SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1',
			);
			return rows[0];
		},

		/** Appends chained rows and moves the head, in one statement each. */
		async append(rows: ChainedEntry[]) {
			await db.query(
				`INSERT INTO audit_log (id, occurred_at, request_id, actor_id, actor_name, action, client_id,
					service, status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id,
					details, prev_hash, hash)
				 SELECT r.id, r.occurred_at, r.request_id, r.actor_id, r.actor_name, r.action, r.client_id,
					r.service, r.status_code, r.error_code, r.ip, r.user_agent, r.duration_ms, r.workflow_id,
					r.execution_id, r.details, decode(r.prev_hash, 'hex'), decode(r.hash, 'hex')
				 FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, occurred_at timestamptz, request_id text,
					actor_id text, actor_name text, action text, client_id text, service text,
					status_code integer, error_code text, ip text, user_agent text,
					duration_ms double precision, workflow_id text, execution_id text, details jsonb,
					prev_hash text, hash text)`,
				[rows],
			);
			const last = rows[rows.length - 1]!;
			await db.query(
				"UPDATE audit_chain_head SET last_id = $1, last_hash = decode($2, 'hex') WHERE id = 1",
				[last.id, last.hash],
			);
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
