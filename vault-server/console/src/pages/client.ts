import { api, ApiError, withQuery } from '../api.js';
import { h, replace, table } from '../dom.js';
import { statusBadge, when } from '../format.js';
import type { Client, ConnectLinkInfo, Connection } from '../types.js';
import { copyField } from './copy-field.js';

const connectionHref = (clientId: string, service: string) =>
	`#/clients/${encodeURIComponent(clientId)}/${encodeURIComponent(service)}`;

/** The cells every connection view shows: status with its label, expiry, refresh, error, use. */
export function connectionCells(connection: Connection) {
	return [
		statusBadge(connection.status),
		when(connection.expires_at, 'no expiry'),
		when(connection.last_refreshed_at),
		connection.last_error ?? '',
		when(connection.last_used_at),
	];
}

/** One client: its connections, a reconnect link per connection, and its open links. */
export async function clientPage(clientId: string): Promise<HTMLElement> {
	const path = `/v1/clients/${encodeURIComponent(clientId)}`;
	const [client, { connections }] = await Promise.all([
		api<Client>('GET', path),
		api<{ connections: Connection[] }>('GET', `${path}/connections`),
	]);
	const created = h('div', { 'aria-live': 'polite' });
	const links = h('section', { 'aria-labelledby': 'open-links' });

	const refreshLinks = async () => {
		const { links: open } = await api<{ links: ConnectLinkInfo[] }>(
			'GET',
			withQuery('/v1/connect-links', { client_id: clientId, status: 'open' }),
		);
		replace(
			links,
			h('h2', { id: 'open-links' }, 'Open reconnect links'),
			open.length === 0
				? h('p', {}, 'No open link.')
				: table(
						'Open reconnect links',
						['Service', 'Status', 'Created', 'Expires', ''],
						open.map((link) => [
							link.service,
							statusBadge(link.status),
							when(link.created_at),
							when(link.expires_at),
							h(
								'button',
								{
									type: 'button',
									class: 'danger',
									'aria-label': `Revoke the ${link.service} link created ${new Date(link.created_at).toISOString()}`,
									onclick: () =>
										void api('DELETE', `/v1/connect-links/${link.id}`).then(refreshLinks),
								},
								'Revoke',
							),
						]),
					),
		);
	};

	const createLink = async (service: string) => {
		try {
			const link = await api<{ url: string; expires_at: string }>('POST', '/v1/connect-links', {
				client_id: clientId,
				service,
			});
			replace(
				created,
				h(
					'div',
					{ class: 'notice' },
					h('h2', {}, `Reconnect link for ${service}`),
					copyField(`Reconnect link for ${service}`, link.url, 'Copy link'),
					h(
						'p',
						{},
						'Send it to the client. It works once and expires ',
						when(link.expires_at),
						'.',
					),
				),
			);
			await refreshLinks();
		} catch (error) {
			const message = error instanceof ApiError ? error.message : 'The link could not be created';
			replace(created, h('p', { class: 'error', role: 'alert' }, message));
		}
	};

	await refreshLinks();
	return h(
		'div',
		{},
		h('p', { class: 'crumbs' }, h('a', { href: '#/clients' }, 'Clients'), ' / ', client.id),
		h('h1', { tabindex: -1 }, client.name),
		h('p', {}, 'Client id ', h('code', {}, client.id), client.email ? ` · ${client.email}` : ''),
		h('h2', {}, 'Connections'),
		connections.length === 0
			? h('p', {}, 'No connection yet.')
			: table(
					`Connections of ${client.name}`,
					['Service', 'Status', 'Expires', 'Last refresh', 'Last error', 'Last use', ''],
					connections.map((connection) => [
						h('a', { href: connectionHref(clientId, connection.service) }, connection.service),
						...connectionCells(connection),
						h(
							'button',
							{
								type: 'button',
								'aria-label': `Create reconnect link for ${connection.service}`,
								onclick: () => void createLink(connection.service),
							},
							'Create reconnect link',
						),
					]),
				),
		created,
		links,
	);
}
