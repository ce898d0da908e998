import { api, ApiError, withQuery } from '../api.js';
import { h } from '../dom.js';
import { localDateTime } from '../format.js';
import type { AuditPage } from '../types.js';
import { auditPager, auditTable } from './audit-rows.js';

/** The search's text filters: the API's query parameter, its label, and suggestions if any. */
const TEXT_FILTERS: [name: string, label: string][] = [
	['client_id', 'Client id'],
	['service', 'Service'],
	['action', 'Action'],
	['workflow_id', 'Workflow id'],
	['execution_id', 'Execution id'],
];
/** Actions an operator searches most; the field takes any action name. */
const ACTIONS = [
	'credential.fetch',
	'credential.batch',
	'credential.refresh',
	'connection.store',
	'connection.delete',
	'connect.open',
	'oauth.callback',
	'connect_link.create',
	'connect_link.revoke',
	'token.create',
	'token.revoke',
	'console.sign_in',
];
const SEARCH = [...TEXT_FILTERS.map(([name]) => name), 'outcome', 'since', 'until'];
const PAGE_SIZES = ['10', '25', '50', '100'];
const DEFAULT_PAGE_SIZE = '50';

/** The search as the API names it, from the hash route's query (empty values left out). */
function searchOf(query: URLSearchParams): Record<string, string | undefined> {
	return Object.fromEntries(SEARCH.map((name) => [name, query.get(name) || undefined]));
}

/** A datetime-local value (the browser's time zone) as the API's UTC date-time; '' stays unset. */
const toUtc = (value: string) => (value ? new Date(value).toISOString() : undefined);

/**
 * The audit search (GET /v1/audit): filters by client, service, action, outcome, workflow,
 * execution and a time range, pages by keyset (`before_id`), exports the same search as CSV
 * (GET /v1/audit.csv, which the session cookie opens like any GET). The search lives in the hash
 * route (`#/audit?workflow_id=…&before_id=…`), so a result is a bookmark and Back works.
 */
export async function auditPage(query: URLSearchParams): Promise<HTMLElement> {
	const search = searchOf(query);
	const limit = PAGE_SIZES.includes(query.get('limit') ?? '')
		? query.get('limit')!
		: DEFAULT_PAGE_SIZE;
	const beforeId = query.get('before_id');

	const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
	const field = (name: string, label: string, control: HTMLInputElement | HTMLSelectElement) => {
		control.id = `audit-${name}`;
		control.name = name;
		inputs.set(name, control);
		return h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
	};
	const textField = ([name, label]: [string, string]) =>
		field(
			name,
			label,
			h('input', {
				type: 'text',
				value: search[name],
				maxlength: 128,
				list: name === 'action' ? 'audit-actions' : undefined,
				autocomplete: 'off',
			}),
		);
	const option = (value: string, label: string, selected: string | undefined) =>
		h('option', { value, selected: value === (selected ?? '') }, label);
	const form = h(
		'form',
		{ role: 'search', class: 'filters', 'aria-label': 'Search the audit log' },
		TEXT_FILTERS.map(textField),
		h(
			'datalist',
			{ id: 'audit-actions' },
			ACTIONS.map((action) => h('option', { value: action })),
		),
		field(
			'outcome',
			'Outcome',
			h(
				'select',
				{},
				option('', 'any', search.outcome),
				option('success', 'success', search.outcome),
				option('failure', 'failure (4xx, 5xx or an error code)', search.outcome),
			),
		),
		field(
			'since',
			'Since (your time)',
			h('input', { type: 'datetime-local', step: 1, value: localDateTime(search.since) }),
		),
		field(
			'until',
			'Until (your time)',
			h('input', { type: 'datetime-local', step: 1, value: localDateTime(search.until) }),
		),
		field(
			'limit',
			'Rows per page',
			h(
				'select',
				{},
				PAGE_SIZES.map((size) => option(size, size, limit)),
			),
		),
		h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Search')),
	);
	form.addEventListener('submit', (event) => {
		event.preventDefault();
		const value = (name: string) => inputs.get(name)!.value.trim();
		location.hash = withQuery('#/audit', {
			...Object.fromEntries(TEXT_FILTERS.map(([name]) => [name, value(name)])),
			outcome: value('outcome'),
			since: toUtc(value('since')),
			until: toUtc(value('until')),
			limit: value('limit') === DEFAULT_PAGE_SIZE ? undefined : value('limit'),
		});
	});

	const hrefOf = (before?: number) =>
		withQuery('#/audit', {
			...search,
			limit: limit === DEFAULT_PAGE_SIZE ? undefined : limit,
			before_id: before,
		});
	return h(
		'div',
		{},
		h('h1', { tabindex: -1 }, 'Audit log'),
		form,
		await results(search, limit, beforeId, hrefOf),
	);
}

/** The rows of one page of the search, its paging links and the CSV link; or why there are none. */
async function results(
	search: Record<string, string | undefined>,
	limit: string,
	beforeId: string | null,
	hrefOf: (before?: number) => string,
): Promise<HTMLElement> {
	let page: AuditPage;
	try {
		page = await api<AuditPage>(
			'GET',
			withQuery('/v1/audit', { ...search, limit, before_id: beforeId ?? undefined }),
		);
	} catch (error) {
		if (!(error instanceof ApiError) || error.status >= 500 || error.status === 401) throw error;
		// a filter the API refused (a client id with a space, since after until): say which
		return h('p', { class: 'error', role: 'alert' }, error.message);
	}
	const csv = withQuery('/v1/audit.csv', search);
	return h(
		'section',
		{ 'aria-labelledby': 'audit-results' },
		h('h2', { id: 'audit-results' }, beforeId === null ? 'Newest rows' : 'Older rows'),
		h(
			'p',
			{ class: 'inline' },
			h('a', { href: csv, download: 'audit.csv' }, 'Export CSV'),
			h('span', { class: 'hint' }, 'every row of this search, not only this page'),
		),
		page.entries.length === 0
			? h('p', {}, beforeId === null ? 'No audit row matches this search.' : 'No older row.')
			: auditTable('Audit rows found', page.entries, true),
		auditPager(hrefOf, beforeId, page.next_before_id),
	);
}
