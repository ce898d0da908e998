import { api, withQuery } from '../api.js';
import { h, replace, table } from '../dom.js';
import { statusBadge, when } from '../format.js';

interface Alert {
	id: number;
	rule: string;
	title: string;
	subject: string;
	client_id: string | null;
	status: string;
	first_seen_at: string;
	last_seen_at: string;
	resolved_at: string | null;
}

const PAGE = 50;
const HEADINGS = { open: 'Open alerts', resolved: 'Resolved alerts' } as const;

/** The subject, linked to its client's page when the alert is about a connection. */
const subjectOf = (alert: Alert) =>
	alert.client_id
		? h('a', { href: `#/clients/${encodeURIComponent(alert.client_id)}` }, alert.subject)
		: alert.subject;

/** One status's alerts, newest first, with "Older … alerts" paging by keyset (`before_id`). */
async function alertList(status: 'open' | 'resolved'): Promise<HTMLElement> {
	const title = HEADINGS[status];
	const section = h('section', { 'aria-labelledby': `alerts-${status}` });
	const shown: Alert[] = [];
	const load = async (beforeId?: number) => {
		const page = await api<{ alerts: Alert[]; next_before_id: number | null }>(
			'GET',
			withQuery('/v1/alerts', { status, limit: PAGE, before_id: beforeId }),
		);
		shown.push(...page.alerts);
		const next = page.next_before_id;
		replace(
			section,
			h('h2', { id: `alerts-${status}` }, title),
			shown.length === 0
				? h('p', {}, status === 'open' ? 'No open alert.' : 'No resolved alert.')
				: table(
						title,
						['Alert', 'Rule', 'Subject', 'Status', 'First seen', 'Last seen', 'Resolved'],
						shown.map((alert) => [
							alert.title,
							h('code', {}, alert.rule),
							subjectOf(alert),
							statusBadge(alert.status),
							when(alert.first_seen_at),
							when(alert.last_seen_at),
							when(alert.resolved_at, ''),
						]),
					),
			next === null
				? null
				: h('button', { type: 'button', onclick: () => void load(next) }, `Older ${status} alerts`),
		);
	};
	await load();
	return section;
}

/** The alerts the rules opened: the open ones first, then those resolved since. */
export async function alertsPage(): Promise<HTMLElement> {
	const lists = await Promise.all([alertList('open'), alertList('resolved')]);
	return h('div', {}, h('h1', { tabindex: -1 }, 'Alerts'), lists);
}
