import { api } from '../api.js';
import { h, table } from '../dom.js';
import { statusBadge, when } from '../format.js';
import type { Summary } from '../types.js';

const TITLES: Record<string, string> = {
	needs_reauth: 'Connections needing re-authorisation',
	expired: 'Connections with expired tokens',
	expiring: 'Connections expiring soon',
	refresh_errors: 'Connections failing to refresh',
	unused: 'Unused connections',
};

/** The connections behind one number of the overview. */
export async function attentionPage(kind: string): Promise<HTMLElement> {
	const title = TITLES[kind];
	if (!title) return h('div', {}, h('h1', { tabindex: -1 }, 'Not found'));
	const summary = await api<Summary>('GET', '/v1/monitoring');
	const connections = summary.connections[kind as keyof Summary['connections']];
	return h(
		'div',
		{},
		h('h1', { tabindex: -1 }, title),
		connections.length === 0
			? h('p', {}, 'None.')
			: table(
					title,
					['Client', 'Service', 'Status', 'Expires', 'Last refresh', 'Last error'],
					connections.map((connection) => [
						h(
							'a',
							{ href: `#/clients/${encodeURIComponent(connection.client_id)}` },
							connection.client_id,
						),
						connection.service,
						statusBadge(connection.status),
						when(connection.expires_at, 'no expiry'),
						when(connection.last_refreshed_at),
						connection.last_error ?? '',
					]),
				),
	);
}
