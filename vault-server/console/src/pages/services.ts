import { api, ApiError } from '../api.js';
import { h, replace, table } from '../dom.js';
import type { Service } from '../types.js';
import { field, valueOf } from './form-fields.js';

export const serviceHref = (name: string) => `#/services/${encodeURIComponent(name)}`;

/** What a service's OAuth app holds, in words: never the secret, only whether one is set. */
export const appSummary = (service: Service) =>
	service.oauth_type === 'oauth2' || service.oauth_type === 'oauth2_client_credentials'
		? `${service.oauth_client_id ?? 'no client id'} · client secret ${service.has_client_secret ? 'set' : 'not set'}`
		: 'no OAuth app';

/** The add-a-service form: the API's own 4xx message is shown under it. */
function addServiceForm(): HTMLElement {
	const name = field(
		'service-name',
		'Name',
		{ required: true, maxlength: 64 },
		'Lower-case letters, digits, _ and -, as in /v1/credentials/<client>/<name>.',
	);
	const display = field('service-display-name', 'Display name', { required: true, maxlength: 200 });
	const type = h(
		'select',
		{ id: 'service-type', name: 'oauth_type' },
		h('option', { value: 'oauth2' }, 'oauth2: OAuth2 authorization code'),
		h('option', { value: 'oauth2_client_credentials' }, 'oauth2_client_credentials'),
		h('option', { value: 'api_key' }, 'api_key: an API key'),
		h('option', { value: 'basic' }, 'basic: a login and password'),
	);
	const authorize = field('service-authorization-url', 'Authorization URL', { type: 'url' });
	const token = field('service-token-url', 'Token URL', { type: 'url' });
	const message = h('p', { class: 'error', role: 'alert' });
	const form = h(
		'form',
		{ class: 'stack', 'aria-labelledby': 'add-service-title' },
		h('h2', { id: 'add-service-title' }, 'Add a service'),
		name.wrap,
		display.wrap,
		h('label', { for: 'service-type' }, 'Type'),
		type,
		authorize.wrap,
		token.wrap,
		h('button', { type: 'submit' }, 'Add service'),
		message,
	);
	form.addEventListener('submit', (event) => {
		event.preventDefault();
		message.textContent = '';
		const body = {
			name: name.input.value.trim(),
			display_name: display.input.value.trim(),
			oauth_type: type.value,
			...(valueOf(authorize.input) ? { oauth_authorization_url: valueOf(authorize.input) } : {}),
			...(valueOf(token.input) ? { oauth_token_url: valueOf(token.input) } : {}),
		};
		api<Service>('POST', '/v1/services', body).then(
			(created) => (location.hash = serviceHref(created.name)),
			(error: unknown) => {
				message.textContent =
					error instanceof ApiError ? error.message : 'The service could not be added';
			},
		);
	});
	return form;
}

/** The service catalog, with a form to add one. */
export async function servicesPage(): Promise<HTMLElement> {
	const { services } = await api<{ services: Service[] }>('GET', '/v1/services');
	const list = h('section', { 'aria-labelledby': 'catalog-title' });
	replace(
		list,
		h('h2', { id: 'catalog-title' }, 'Catalog'),
		table(
			'Services',
			['Name', 'Display name', 'Type', 'OAuth app', 'App error'],
			services.map((service) => [
				h('a', { href: serviceHref(service.name) }, service.name),
				service.display_name,
				h('code', {}, service.oauth_type),
				appSummary(service),
				service.app_error ?? '',
			]),
		),
	);
	return h('div', {}, h('h1', { tabindex: -1 }, 'Services'), list, addServiceForm());
}
