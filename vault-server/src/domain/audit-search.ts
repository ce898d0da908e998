import type { Database } from '../storage/database.js';
import {
	auditStore,
	type AuditCursor,
	type AuditFilters,
	type AuditSearchRow,
} from '../storage/audit-store.js';

export type { AuditFilters };

/** One page of an audit search, and the `before_id` of the page after it (null: the last page). */
export interface AuditPage {
	entries: ReturnType<typeof toEntry>[];
	next_before_id: number | null;
}

/** Rows as the API shows them: the chain hash in hex; `prev_hash` left out (`audit verify` checks the chain). */
function toEntry({ prev_hash: _previous, cursor_at: _cursor, ...row }: AuditSearchRow) {
	return { ...row, hash: Buffer.from(row.hash).toString('hex') };
}

/**
 * One page of GET /v1/audit: the rows matching `filters`, newest first by (occurred_at, id), at
 * most `limit`, starting after row `beforeId` when given (keyset pagination: the page after is
 * asked with `before_id: next_before_id`). A `beforeId` no row has (pruned, or never written)
 * gives an empty page.
 */
export async function searchAudit(
	db: Database,
	filters: AuditFilters,
	page: { limit: number; beforeId?: number },
): Promise<AuditPage> {
	const store = auditStore(db);
	let before: AuditCursor | undefined;
	if (page.beforeId !== undefined) {
		before = await store.cursorOf(page.beforeId);
		if (!before) return { entries: [], next_before_id: null };
	}
	// one row more than asked says whether a next page exists
	const rows = await store.search({ ...filters, before, limit: page.limit + 1 });
	const entries = rows.slice(0, page.limit).map(toEntry);
	const more = rows.length > page.limit;
	return { entries, next_before_id: more ? entries.at(-1)!.id : null };
}

/**
 * Every row matching `filters`, newest first, read `pageSize` rows per statement (each from the
 * last row's exact time, so no statement holds a transaction open), for the CSV export.
 */
export async function* everyAuditRow(
	db: Database,
	filters: AuditFilters,
	pageSize = 1000,
): AsyncGenerator<ReturnType<typeof toEntry>> {
	const store = auditStore(db);
	let before: AuditCursor | undefined;
	for (;;) {
		const rows = await store.search({ ...filters, before, limit: pageSize });
		for (const row of rows) yield toEntry(row);
		if (rows.length < pageSize) return;
		const last = rows.at(-1)!;
		before = { at: last.cursor_at, id: Number(last.id) };
	}
}
