import { api, ApiError } from '../api.js';
import { h } from '../dom.js';
import type { Service } from '../types.js';
import { field } from './form-fields.js';

/**
 * Sets or replaces a service's OAuth app. The client secret is write-only: its field starts
 * empty, is emptied again after each save, and only "set" / "not set" is ever shown. An empty
 * secret field keeps the stored secret.
 */
export function oauthAppForm(service: Service, onSaved: (service: Service) => void): HTMLElement {
	const clientId = field('app-client-id', 'Client ID', {
		value: service.oauth_client_id ?? '',
		maxlength: 512,
		autocomplete: 'off',
	});
	const secretState = h('span', {});
	const showSecretState = (set: boolean) =>
		(secretState.textContent = set
			? 'A client secret is set. Type a new one to replace it; leave empty to keep it.'
			: 'No client secret is set.');
	showSecretState(service.has_client_secret);
	const secret = field('app-client-secret', 'Client secret', {
		type: 'password',
		autocomplete: 'new-password',
		maxlength: 4096,
		spellcheck: 'false',
	});
	secret.input.setAttribute('aria-describedby', 'app-client-secret-state');
	secretState.id = 'app-client-secret-state';
	const authorize = field('app-authorization-url', 'Authorization URL', {
		type: 'url',
		value: service.oauth_authorization_url ?? '',
	});
	const token = field('app-token-url', 'Token URL', {
		type: 'url',
		value: service.oauth_token_url ?? '',
	});
	const scopes = field(
		'app-scopes',
		'Scopes',
		{ value: service.oauth_scopes ?? '', maxlength: 4096 },
		'As the provider writes them, separated as the service is configured (a space by default).',
	);
	const message = h('p', { role: 'status', class: 'hint' });
	const failure = h('p', { class: 'error', role: 'alert' });
	const form = h(
		'form',
		{ class: 'stack', 'aria-labelledby': 'oauth-app-title' },
		h('h2', { id: 'oauth-app-title' }, 'OAuth app'),
		clientId.wrap,
		secret.wrap,
		h('p', { class: 'hint' }, secretState),
		authorize.wrap,
		token.wrap,
		scopes.wrap,
		h('button', { type: 'submit' }, 'Save OAuth app'),
		message,
		failure,
	);
	const orNull = (input: HTMLInputElement) => input.value.trim() || null;
	let current = service;
	form.addEventListener('submit', (event) => {
		event.preventDefault();
		message.textContent = '';
		failure.textContent = '';
		// only what changed: an unchanged app keeps its app_error and its connections' backoff
		const fields = {
			oauth_client_id: orNull(clientId.input),
			oauth_authorization_url: orNull(authorize.input),
			oauth_token_url: orNull(token.input),
			oauth_scopes: orNull(scopes.input),
		};
		const body: Record<string, string | null> = Object.fromEntries(
			Object.entries(fields).filter(([name, value]) => current[name as keyof Service] !== value),
		);
		if (secret.input.value) body.oauth_client_secret = secret.input.value;
		// the secret leaves the page with the request, whatever the answer
		secret.input.value = '';
		if (Object.keys(body).length === 0) {
			message.textContent = 'Nothing changed.';
			return;
		}
		api<Service>('PATCH', `/v1/services/${encodeURIComponent(service.name)}`, body).then(
			(saved) => {
				current = saved;
				showSecretState(saved.has_client_secret);
				message.textContent = 'Saved.';
				onSaved(saved);
			},
			(error: unknown) => {
				failure.textContent =
					error instanceof ApiError ? error.message : 'The OAuth app could not be saved';
			},
		);
	});
	return form;
}
