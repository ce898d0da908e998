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

/** The filters of an audit search; each one given narrows it (AND). */
export interface AuditFilters {
	clientId?: string;
	service?: string;
	action?: string;
	/** `failure`: status_code >= 400 or an error_code; `success`: every other row. */
	outcome?: 'success' | 'failure';
	workflowId?: string;
	executionId?: string;
	/** From this time on (inclusive). */
	since?: Date;
	/** Before this time (exclusive). */
	until?: Date;
}

/** Where a page starts: strictly older than this row, in (occurred_at, id) order. */
export interface AuditCursor {
	/** The row's occurred_at to the microsecond (ISO 8601, UTC). */
	at: string;
	id: number;
}

export interface AuditQuery extends AuditFilters {
	before?: AuditCursor;
	limit: number;
}

/** A search result: the row and its exact time, the cursor of the page after it. */
export interface AuditSearchRow extends AuditRow {
	cursor_at: string;
}

const FAILURE = '(status_code >= 400 OR error_code IS NOT NULL)';
const EXACT_TIME = `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The WHERE clause of a search and its parameters. Only the filters given appear, so every
 * prepared statement (and PostgreSQL's generic plan of it) can read through the filter's index;
 * `$1 IS NULL OR ...` would hide the index from a generic plan. No value enters the SQL text.
 */
function searchCondition(query: AuditQuery): { where: string; params: unknown[] } {
	const params: unknown[] = [];
	const conditions: string[] = [];
	const add = (value: unknown, condition: (placeholder: string) => string) => {
		if (value === undefined) return;
		params.push(value);
		conditions.push(condition(`$${params.length}`));
	};
	add(query.clientId, (p) => `client_id = ${p}`);
	add(query.service, (p) => `service = ${p}`);
	add(query.action, (p) => `action = ${p}`);
	add(query.workflowId, (p) => `workflow_id = ${p}`);
	add(query.executionId, (p) => `execution_id = ${p}`);
	add(query.since, (p) => `occurred_at >= ${p}::timestamptz`);
	add(query.until, (p) => `occurred_at < ${p}::timestamptz`);
	if (query.outcome === 'failure') conditions.push(FAILURE);
	if (query.outcome === 'success')
		conditions.push('(status_code IS NULL OR status_code < 400) AND error_code IS NULL');
	if (query.before) {
		params.push(query.before.at, query.before.id);
		const at = `$${params.length - 1}::timestamptz`;
		conditions.push(`(occurred_at, id) < (${at}, $${params.length}::bigint)`);
	}
	return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
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

		/**
		 * Rows matching `query`, newest first by (occurred_at, id), at most `query.limit`, each
		 * with its exact time (`cursor_at`) to start the next page from (keyset pagination).
		 */
		async search(query: AuditQuery) {
			const { where, params } = searchCondition(query);
			// qualified: a bare occurred_at in ORDER BY would be the formatted text column, no index
			return db.query<AuditSearchRow>(
				`SELECT ${READ_COLUMNS}, ${EXACT_TIME} AS cursor_at FROM audit_log ${where}
				 ORDER BY audit_log.occurred_at DESC, audit_log.id DESC LIMIT $${params.length + 1}`,
				[...params, query.limit],
			);
		},

		/** The cursor of row `id` (its exact time), or undefined when no row has that id. */
		async cursorOf(id: number): Promise<AuditCursor | undefined> {
			const rows = await db.query<AuditCursor>(
				`SELECT id, ${EXACT_TIME} AS at FROM audit_log WHERE id = $1`,
				[id],
			);
			const row = rows[0];
			return row && { at: row.at, id: Number(row.id) };
		},
	};
}

export type AuditStore = ReturnType<typeof auditStore>;
