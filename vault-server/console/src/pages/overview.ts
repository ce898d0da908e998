import { api } from '../api.js';
import { h, table } from '../dom.js';
import { statusBadge, when } from '../format.js';
import type { Summary } from '../types.js';

/** What each number of the monitoring summary is, and the list behind it. */
const COUNTS: { key: keyof Summary['counts']; label: string; href: string }[] = [
	{ key: 'needs_reauth', label: 'Need re-authorisation', href: '#/attention/needs_reauth' },
	{ key: 'expired', label: 'Expired tokens', href: '#/attention/expired' },
	{ key: 'expiring', label: 'Expiring within 24 h', href: '#/attention/expiring' },
	{ key: 'refresh_errors', label: 'Refresh errors', href: '#/attention/refresh_errors' },
	{ key: 'unused', label: 'Unused', href: '#/attention/unused' },
	{ key: 'tokens_expiring', label: 'API tokens expiring', href: '#/tokens' },
	{ key: 'open_alerts', label: 'Open alerts', href: '#/alerts' },
];

export async function overviewPage(): Promise<HTMLElement> {
	const summary = await api<Summary>('GET', '/v1/monitoring');
	const flagged = summary.connections.needs_reauth;
	return h(
		'div',
		{},
		h('h1', { tabindex: -1 }, 'Overview'),
		h(
			'p',
			{},
			summary.needs_action ? 'Something needs action.' : 'Nothing needs action.',
			' ',
			summary.counts.connections,
			' connections in all.',
		),
		h(
			'ul',
			{ class: 'counts', 'aria-label': 'Monitoring summary' },
			COUNTS.map(({ key, label, href }) =>
				h(
					'li',
					{},
					h(
						'a',
						{ href, class: summary.counts[key] > 0 ? 'count warn' : 'count' },
						h('span', { class: 'number' }, summary.counts[key]),
						h('span', { class: 'label' }, label),
					),
				),
			),
		),
		h('h2', {}, 'Needing re-authorisation'),
		flagged.length === 0
			? h('p', {}, 'No connection needs re-authorisation.')
			: table(
					'Connections needing re-authorisation',
					['Client', 'Service', 'Status', 'Last error'],
					flagged.map((connection) => [
						h(
							'a',
							{ href: `#/clients/${encodeURIComponent(connection.client_id)}` },
							connection.client_id,
						),
						connection.service,
						statusBadge(connection.status),
						connection.last_error ?? '',
					]),
				),
		h('p', { class: 'hint' }, 'Generated ', when(summary.generated_at), '.'),
	);
}
