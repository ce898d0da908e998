import { api, withQuery } from '../api.js';
import { h, replace, table } from '../dom.js';
import { when } from '../format.js';
import type { Client, Service } from '../types.js';
import { copyField } from './copy-field.js';
import { oauthAppForm } from './oauth-app-form.js';
import { appSummary } from './services.js';

const PAGE = 50;

/** The clients connected to the service, a page at a time (keyset on the client id). */
async function connectedClients(service: Service): Promise<HTMLElement> {
	const section = h('section', { 'aria-labelledby': 'connected-title' });
	const shown: Client[] = [];
	const load = async (after?: string) => {
		const { clients } = await api<{ clients: Client[] }>(
			'GET',
			withQuery('/v1/clients', { service: service.name, after, limit: PAGE }),
		);
		shown.push(...clients);
		const count = service.connection_count ?? shown.length;
		replace(
			section,
			h('h2', { id: 'connected-title' }, 'Connections'),
			h(
				'p',
				{},
				count === 1 ? '1 connection uses this service.' : `${count} connections use this service.`,
			),
			shown.length === 0
				? null
				: table(
						`Clients connected to ${service.name}`,
						['Client', 'Name', 'Connection'],
						shown.map((client) => [
							h('a', { href: `#/clients/${encodeURIComponent(client.id)}` }, client.id),
							client.name,
							h(
								'a',
								{
									href: `#/clients/${encodeURIComponent(client.id)}/${encodeURIComponent(service.name)}`,
								},
								`${client.id} / ${service.name}`,
							),
						]),
					),
			clients.length === PAGE
				? h(
						'button',
						{ type: 'button', onclick: () => void load(clients.at(-1)?.id) },
						'Next clients',
					)
				: null,
		);
	};
	await load();
	return section;
}

/** One service: its settings, its OAuth app with the redirect URL to register, its connections. */
export async function servicePage(name: string): Promise<HTMLElement> {
	const service = await api<Service>('GET', `/v1/services/${encodeURIComponent(name)}`);
	const summary = h('dd', {}, appSummary(service));
	const oauth =
		service.oauth_type === 'oauth2' || service.oauth_type === 'oauth2_client_credentials';
	return h(
		'div',
		{},
		h('p', { class: 'crumbs' }, h('a', { href: '#/services' }, 'Services'), ' / ', service.name),
		h('h1', { tabindex: -1 }, service.display_name),
		h(
			'dl',
			{ class: 'facts' },
			h('dt', {}, 'Name'),
			h('dd', {}, h('code', {}, service.name)),
			h('dt', {}, 'Type'),
			h('dd', {}, h('code', {}, service.oauth_type)),
			h('dt', {}, 'OAuth app'),
			summary,
			h('dt', {}, 'App error'),
			h('dd', {}, service.app_error ?? 'none'),
			h('dt', {}, 'Updated'),
			h('dd', {}, when(service.updated_at)),
		),
		oauth
			? h(
					'div',
					{ class: 'columns' },
					oauthAppForm(service, (saved) => replace(summary, appSummary(saved))),
					h(
						'div',
						{ class: 'notice' },
						h('h2', {}, 'Redirect URL'),
						copyField(
							'Redirect URL to register with the provider',
							service.oauth_redirect_uri ?? '',
							'Copy redirect URL',
						),
						h(
							'p',
							{ class: 'hint' },
							"Register it as the OAuth app's redirect (callback) URL at the provider. " +
								'It is the same for every service: PUBLIC_URL followed by /oauth/callback.',
						),
					),
				)
			: null,
		await connectedClients(service),
	);
}
