import { createHash } from 'node:crypto';
import type { AuditEntry } from '../storage/audit-store.js';

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
 * SHA-256 of "<previous hash in hex>\n<id>\n<content>": the unkeyed hash of the rows written
 * before the keyed chain (sql/migrations/0006 computed it; 0008 replaced it by an HMAC,
 * crypto/audit-chain-key.ts). The verifier still checks those rows with it.
 */
export function hashAuditRow(prevHashHex: string, row: AuditEntry & { id: number }): string {
	return createHash('sha256')
		.update(`${prevHashHex}\n${row.id}\n${auditContent(row)}`)
		.digest('hex');
}
