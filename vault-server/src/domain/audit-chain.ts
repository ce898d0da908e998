import { createHash } from 'node:crypto';
import type { Queryable } from '../storage/database.js';
import { auditStore, type AuditEntry } from '../storage/audit-store.js';

const CONTENT_FIELDS = [
	'occurred_at',
	'request_id',
	'actor_id',
	'actor_name',
	'action',
	'client_id',
	'service',
	'status_code',
	'error_code',
	'ip',
	'user_agent',
	'duration_ms',
	'workflow_id',
	'execution_id',
	'details',
] as const;

/** JSON with object keys sorted at every depth, so jsonb's own key order does not matter. */
function canonicalJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
	if (value !== null && typeof value === 'object') {
		const entries = Object.entries(value as Record<string, unknown>)
			.filter(([, v]) => v !== undefined)
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
	}
	return JSON.stringify(value ?? null);
}

// canonical order: JSON.stringify of these plain names is the name in quotes
const SORTED_FIELDS = [...CONTENT_FIELDS].sort();

/**
 * The canonical JSON of a row's content (everything but its id and hashes): canonicalJson of the
 * content fields, written field by field because every audited request computes it.
 */
export function auditContent(row: AuditEntry): string {
	let json = '';
	for (const field of SORTED_FIELDS) {
		const value = row[field];
		if (value === undefined) continue;
		json += `${json ? ',' : '{'}"${field}":${canonicalJson(value)}`;
	}
	return json ? `${json}}` : '{}';
}

/**
 * SHA-256 of "<previous hash in hex>\n<id>\n<content>": what the database computes when it
 * writes the row (audit_append_contents, sql/migrations/0006_audit_append_contents.sql).
 */
export function hashAuditRow(prevHashHex: string, row: AuditEntry & { id: number }): string {
	return createHash('sha256')
		.update(`${prevHashHex}\n${row.id}\n${auditContent(row)}`)
		.digest('hex');
}

export type ChainProblem = 'edited' | 'deleted' | 'head_mismatch';

export interface ChainVerdict {
	ok: boolean;
	rows: number;
	/** The first row found wrong, with what is wrong with it. */
	problem?: { id: number; kind: ChainProblem };
	headHash: string;
}

const PAGE = 2000;

/** Walks the whole log in chain order and recomputes every hash. */
export async function verifyAuditChain(db: Queryable): Promise<ChainVerdict> {
	const store = auditStore(db);
	let previousId = 0;
	let previousHash = '';
	let rows = 0;
	for (;;) {
		const page = await store.page(previousId, PAGE);
		for (const row of page) {
			const prev = Buffer.from(row.prev_hash).toString('hex');
			const stored = Buffer.from(row.hash).toString('hex');
			const verdict = (kind: ChainProblem): ChainVerdict => ({
				ok: false,
				rows,
				problem: { id: row.id, kind },
				headHash: previousHash,
			});
			if (row.id !== previousId + 1 || prev !== previousHash) return verdict('deleted');
			if (hashAuditRow(prev, row) !== stored) return verdict('edited');
			previousId = row.id;
			previousHash = stored;
			rows += 1;
		}
		if (page.length < PAGE) break;
	}
	const head = await store.readHead();
	const headHash = head ? Buffer.from(head.last_hash).toString('hex') : '';
	if (!head || head.last_id !== previousId || headHash !== previousHash) {
		return { ok: false, rows, problem: { id: previousId + 1, kind: 'head_mismatch' }, headHash };
	}
	return { ok: true, rows, headHash };
}
