import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { when } from '../format.js';
import type { AuditPage, Connection } from '../types.js';
import { auditPager, auditTable } from './audit-rows.js';
import { connectionCells } from './client.js';

const PAGE = 25;

/**
 * One connection: its state and its audit rows (who fetched it, from which workflow), 25 a page,
 * newest first. `query` is the hash route's: `before_id` is the keyset cursor of an older page.
 */
export async function connectionPage(
	clientId: string,
	service: string,
	query: URLSearchParams,
): Promise<HTMLElement> {
	const path = `/v1/clients/${encodeURIComponent(clientId)}/connections/${encodeURIComponent(service)}`;
	const beforeId = query.get('before_id');
	const [connection, page] = await Promise.all([
		api<Connection>('GET', path),
		api<AuditPage>(
			'GET',
			withQuery('/v1/audit', {
				client_id: clientId,
				service,
				limit: PAGE,
				before_id: beforeId ?? undefined,
			}),
		),
	]);
	const hrefOf = (before?: number) =>
		withQuery(`#/clients/${encodeURIComponent(clientId)}/${encodeURIComponent(service)}`, {
			before_id: before,
		});
	const rows = h(
		'section',
		{ 'aria-labelledby': 'audit-title' },
		h('h2', { id: 'audit-title' }, beforeId === null ? 'Audit' : 'Audit (older rows)'),
		page.entries.length === 0
			? h('p', {}, beforeId === null ? 'No audit row yet.' : 'No older row.')
			: auditTable(`Audit rows of ${clientId} / ${service}`, page.entries, false),
		auditPager(hrefOf, beforeId, page.next_before_id),
	);
	const [status, expires, refreshed, error, used] = connectionCells(connection);
	return h(
		'div',
		{},
		h(
			'p',
			{ class: 'crumbs' },
			h('a', { href: '#/clients' }, 'Clients'),
			' / ',
			h('a', { href: `#/clients/${encodeURIComponent(clientId)}` }, clientId),
			' / ',
			service,
		),
		h('h1', { tabindex: -1 }, `${clientId} / ${service}`),
		h(
			'dl',
			{ class: 'facts' },
			h('dt', {}, 'Status'),
			h('dd', {}, status),
			h('dt', {}, 'Expires'),
			h('dd', {}, expires),
			h('dt', {}, 'Last refresh'),
			h('dd', {}, refreshed),
			h('dt', {}, 'Refresh failures'),
			h('dd', {}, connection.refresh_failures),
			h('dt', {}, 'Last error'),
			h('dd', {}, error || 'none'),
			h('dt', {}, 'Last use'),
			h('dd', {}, used),
			h('dt', {}, 'Created'),
			h('dd', {}, when(connection.created_at)),
		),
		rows,
	);
}
