import { api, withQuery } from '../api.js';
import { h, replace, table } from '../dom.js';
import { when } from '../format.js';
import type { Client } from '../types.js';

const PAGE = 50;

/** The clients, searched by id or name (`q`), a page at a time (keyset on the id). */
export async function clientsPage(query: URLSearchParams): Promise<HTMLElement> {
	const q = query.get('q') ?? '';
	const search = h('input', { id: 'client-search', type: 'search', name: 'q', value: q });
	const results = h('div', {});
	const form = h(
		'form',
		{ role: 'search', class: 'inline' },
		h('label', { for: 'client-search' }, 'Search clients'),
		search,
		h('button', { type: 'submit' }, 'Search'),
	);
	form.addEventListener('submit', (event) => {
		event.preventDefault();
		location.hash = withQuery('#/clients', { q: search.value.trim() });
	});

	const shown: Client[] = [];
	const load = async (after?: string) => {
		const { clients } = await api<{ clients: Client[] }>(
			'GET',
			withQuery('/v1/clients', { q: q || undefined, after, limit: PAGE }),
		);
		shown.push(...clients);
		const more =
			clients.length === PAGE
				? h(
						'button',
						{ type: 'button', onclick: () => void load(clients.at(-1)?.id) },
						'Next clients',
					)
				: null;
		replace(
			results,
			shown.length === 0
				? h('p', {}, q ? `No client matches “${q}”.` : 'No clients yet.')
				: table(
						'Clients',
						['Client id', 'Name', 'Email', 'Created'],
						shown.map((client) => [
							h('a', { href: `#/clients/${encodeURIComponent(client.id)}` }, client.id),
							client.name,
							client.email ?? '',
							when(client.created_at),
						]),
					),
			more,
		);
	};
	await load();
	return h('div', {}, h('h1', { tabindex: -1 }, 'Clients'), form, results);
}
