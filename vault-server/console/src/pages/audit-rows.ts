import { h, table } from '../dom.js';
import { timestamp } from '../format.js';
import type { AuditRow } from '../types.js';

/** What became of a request: its error code when it has one, else its HTTP status. */
const resultOf = (entry: AuditRow) => entry.error_code ?? String(entry.status_code ?? '');

/**
 * Audit rows as a table labelled `label`, newest first. `withSubject` adds the client and
 * service columns (the audit search; a connection's own rows leave them out).
 */
export function auditTable(label: string, entries: AuditRow[], withSubject: boolean): HTMLElement {
	return table(
		label,
		[
			'When',
			'Action',
			...(withSubject ? ['Client', 'Service'] : []),
			'Who',
			'Workflow',
			'Execution',
			'Result',
		],
		entries.map((entry) => [
			timestamp(entry.occurred_at),
			h('code', {}, entry.action),
			...(withSubject ? [entry.client_id ?? '', entry.service ?? ''] : []),
			entry.actor_name ?? '',
			entry.workflow_id ?? '',
			entry.execution_id ?? '',
			resultOf(entry),
		]),
	);
}

/**
 * Keyset paging links: "Newest" back to the first page when this one is an older page, "Older"
 * to the page after when the API answered a `next_before_id`. `hrefOf(beforeId)` is the page's
 * own hash route with that cursor, so each page is a URL (bookmarkable, Back and Forward work).
 */
export function auditPager(
	hrefOf: (beforeId?: number) => string,
	current: string | null,
	next: number | null,
): HTMLElement | null {
	if (current === null && next === null) return null;
	return h(
		'nav',
		{ class: 'pager', 'aria-label': 'Audit pages' },
		current !== null ? h('a', { href: hrefOf() }, 'Newest') : null,
		next !== null ? h('a', { href: hrefOf(next), rel: 'next' }, 'Older') : null,
	);
}
