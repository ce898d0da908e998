import type { AuditEntry } from '../storage/audit-store.js';

// String.prototype.toWellFormed is ES2024 (Node 20+); the ES2022 lib this package builds
// against does not declare it
const toWellFormed = (value: string): string =>
	(value as unknown as { toWellFormed(): string }).toWellFormed();

/**
 * Text PostgreSQL can store in `text` and `jsonb`: every lone surrogate (half of a UTF-16 pair,
 * which `jsonb` refuses) and every NUL (which `text` and `jsonb` refuse) becomes U+FFFD.
 */
export function storableText(value: string): string {
	const wellFormed = toWellFormed(value);
	return wellFormed.includes('\u0000') ? wellFormed.replaceAll('\u0000', '\ufffd') : wellFormed;
}

/**
 * Request-supplied text for an audit column: at most `maxCodePoints` code points (a cut never
 * splits a surrogate pair), storable ({@link storableText}); null when absent or empty.
 */
export function clipText(value: unknown, maxCodePoints: number): string | null {
	if (typeof value !== 'string' || value.length === 0) return null;
	let text = value;
	// a string of at most n UTF-16 units holds at most n code points: only longer ones are cut
	if (value.length > maxCodePoints) {
		let units = 0;
		let points = 0;
		while (units < value.length && points < maxCodePoints) {
			units += value.codePointAt(units)! > 0xffff ? 2 : 1;
			points += 1;
		}
		text = value.slice(0, units);
	}
	return storableText(text);
}

/** A JSON value whose every string and object key is storable, at any depth. */
function storableJson(value: unknown): unknown {
	if (typeof value === 'string') return storableText(value);
	if (Array.isArray(value)) return value.map(storableJson);
	if (value !== null && typeof value === 'object') {
		return Object.fromEntries(
			Object.entries(value as Record<string, unknown>).map(([key, inner]) => [
				storableText(key),
				storableJson(inner),
			]),
		);
	}
	return value;
}

const TEXT_FIELDS = [
	'occurred_at',
	'request_id',
	'actor_id',
	'actor_name',
	'action',
	'client_id',
	'service',
	'error_code',
	'ip',
	'user_agent',
	'workflow_id',
	'execution_id',
] as const satisfies readonly (keyof AuditEntry)[];

const isStorable = (value: string): boolean =>
	(value as unknown as { isWellFormed(): boolean }).isWellFormed() && !value.includes('\u0000');

/**
 * The entry with every string field and every string (and key) inside `details` storable: what
 * the audit writer hashes and sends, so no caller's text can make PostgreSQL refuse the row.
 * Every audited request passes here: an entry already storable without details is returned as
 * it is, without a copy.
 */
export function storableEntry(entry: AuditEntry): AuditEntry {
	let out: Record<string, unknown> | undefined;
	for (const field of TEXT_FIELDS) {
		const value = entry[field];
		if (typeof value === 'string' && !isStorable(value))
			(out ??= { ...entry })[field] = storableText(value);
	}
	if (entry.details != null) (out ??= { ...entry }).details = storableJson(entry.details);
	return (out as AuditEntry | undefined) ?? entry;
}
