import { api, withQuery } from '../api.js';
import { h, replace, table } from '../dom.js';
import { when } from '../format.js';
import type { AuditRow, Connection } from '../types.js';
import { connectionCells } from './client.js';

const PAGE = 25;

/** One connection: its state and its audit rows (who fetched it, from which workflow), paginated. */
export async function connectionPage(clientId: string, service: string): Promise<HTMLElement> {
	const path = `/v1/clients/${encodeURIComponent(clientId)}/connections/${encodeURIComponent(service)}`;
	const connection = await api<Connection>('GET', path);
	const rows = h('section', { 'aria-labelledby': 'audit-title' });
	// GET /v1/audit answers newest first; an older page is the next `limit` rows past those shown
	const load = async (limit: number) => {
		const { entries } = await api<{ entries: AuditRow[] }>(
			'GET',
			withQuery('/v1/audit', { client_id: clientId, service, limit }),
		);
		replace(
			rows,
			h('h2', { id: 'audit-title' }, 'Audit'),
			entries.length === 0
				? h('p', {}, 'No audit row yet.')
				: table(
						`Audit rows of ${clientId} / ${service}`,
						['When', 'Action', 'Who', 'Workflow', 'Execution', 'Result'],
						entries.map((entry) => [
							when(entry.occurred_at),
							h('code', {}, entry.action),
							entry.actor_name ?? '',
							entry.workflow_id ?? '',
							entry.execution_id ?? '',
							entry.error_code ?? String(entry.status_code ?? ''),
						]),
					),
			entries.length === limit && limit < 1000
				? h('button', { type: 'button', onclick: () => void load(limit + PAGE) }, 'Older rows')
				: null,
		);
	};
	await load(PAGE);
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
