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
	/** The data key version whose derived key made the row's HMAC; null for a SHA-256 row. */
	chain_key_version: number | null;
}

/** The chain's newest row as the database records it, and the first id that must be keyed. */
export interface AuditHead {
	last_id: number;
	last_hash: Uint8Array;
	keyed_from: number;
}

/** Where retention cut the log: the last removed row's id and hash. */
export interface AuditCheckpoint {
	id: number;
	hash: Uint8Array;
}

/** The head after an append attempt: `appended` false means the head was elsewhere, nothing written. */
export interface AppendOutcome {
	last_id: number;
	last_hash: string;
	appended: boolean;
}

export interface AuditQuery {
	clientId?: string;
	service?: string;
	since?: Date;
	limit: number;
}

const READ_COLUMNS = `id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at,
	request_id, actor_id, actor_name, action, client_id, service, status_code, error_code, ip,
	user_agent, duration_ms, workflow_id, execution_id, details, prev_hash, hash, chain_key_version`;

export function auditStore(db: Queryable) {
	return {
		async readHead(): Promise<AuditHead | undefined> {
			const rows = await db.query<AuditHead>(
				'SELECT last_id, last_hash, keyed_from FROM audit_chain_head WHERE id = 1',
			);
			return rows[0];
		},

		/** The newest retention checkpoint: the verifier starts after it. */
		async latestCheckpoint(): Promise<AuditCheckpoint | undefined> {
			const rows = await db.query<AuditCheckpoint>(
				'SELECT id, hash FROM audit_checkpoints ORDER BY id DESC LIMIT 1',
			);
			return rows[0];
		},

		/**
		 * Appends rows the vault chained from the head (`expectedId`, `expectedHashHex`), in one
		 * statement (audit_append_keyed, sql/migrations/0008): locks the head and, when it is still
		 * there, inserts the rows with their hex `hashes`, moves the head and marks the connections
		 * and tokens used. The statement carries hashes, never the key.
		 */
		async appendKeyed(
			expectedId: number,
			expectedHashHex: string,
			keyVersion: number,
			contents: string[],
			hashes: string[],
			usedConnections: { client_id: string; service: string }[],
			usedTokens: string[],
		): Promise<AppendOutcome> {
			// json parameters: the drivers encode them with JSON.stringify, far cheaper than array literals
			const rows = await db.query<AppendOutcome>(
				`SELECT last_id, last_hash, appended
				 FROM audit_append_keyed($1, $2, $3, $4::json, $5::json, $6::jsonb, $7::uuid[])`,
				[expectedId, expectedHashHex, keyVersion, contents, hashes, usedConnections, usedTokens],
			);
			return rows[0]!;
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
