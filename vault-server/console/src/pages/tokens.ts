import { api, ApiError } from '../api.js';
import { h, replace, table } from '../dom.js';
import { when } from '../format.js';
import type { ApiToken } from '../types.js';
import { copyField } from './copy-field.js';

const stateOf = (token: ApiToken) =>
	token.revoked_at
		? 'revoked'
		: token.expires_at && new Date(token.expires_at).getTime() <= Date.now()
			? 'expired'
			: 'active';

/** API tokens: listed without their values, created with the value shown once, revoked. */
export async function tokensPage(): Promise<HTMLElement> {
	const list = h('section', { 'aria-labelledby': 'tokens-title' });
	const created = h('div', { 'aria-live': 'polite' });

	const refresh = async () => {
		const { tokens } = await api<{ tokens: ApiToken[] }>('GET', '/v1/tokens');
		replace(
			list,
			h('h2', { id: 'tokens-title' }, 'Tokens'),
			tokens.length === 0
				? h(
						'p',
						{},
						'No database token. Tokens from ADMIN_API_TOKEN and INTERNAL_API_TOKEN are not listed.',
					)
				: table(
						'API tokens',
						['Name', 'Scope', 'Prefix', 'State', 'Expires', 'Last use', ''],
						tokens.map((token) => [
							token.name,
							h('code', {}, token.scope),
							h('code', {}, token.prefix),
							h('code', {}, stateOf(token)),
							when(token.expires_at, 'never'),
							when(token.last_used_at),
							token.revoked_at
								? ''
								: h(
										'button',
										{
											type: 'button',
											class: 'danger',
											'aria-label': `Revoke token ${token.name}`,
											onclick: () => void api('DELETE', `/v1/tokens/${token.id}`).then(refresh),
										},
										'Revoke',
									),
						]),
					),
		);
	};

	const name = h('input', { id: 'token-name', name: 'name', required: true, maxlength: 200 });
	const scope = h(
		'select',
		{ id: 'token-scope', name: 'scope' },
		h('option', { value: 'read' }, 'read: list connections, fetch credentials'),
		h('option', { value: 'admin' }, 'admin: everything'),
	);
	const days = h('input', { id: 'token-days', name: 'days', type: 'number', min: 1, max: 3650 });
	const form = h(
		'form',
		{ class: 'stack', 'aria-labelledby': 'create-title' },
		h('h2', { id: 'create-title' }, 'Create a token'),
		h('label', { for: 'token-name' }, 'Name'),
		name,
		h('label', { for: 'token-scope' }, 'Scope'),
		scope,
		h('label', { for: 'token-days' }, 'Expires in days (empty: never)'),
		days,
		h('button', { type: 'submit' }, 'Create token'),
	);
	form.addEventListener('submit', (event) => {
		event.preventDefault();
		const body = {
			name: name.value.trim(),
			scope: scope.value,
			...(days.value ? { expires_in_days: Number(days.value) } : {}),
		};
		api<{ token: string; name: string }>('POST', '/v1/tokens', body).then(
			async (token) => {
				form.reset();
				replace(
					created,
					h(
						'div',
						{ class: 'notice' },
						h('h2', {}, `Token “${token.name}” created`),
						copyField('New token value', token.token, 'Copy token'),
						h('p', {}, 'It is shown this once: the vault keeps only its hash.'),
					),
				);
				await refresh();
			},
			(error: unknown) => {
				const message =
					error instanceof ApiError ? error.message : 'The token could not be created';
				replace(created, h('p', { class: 'error', role: 'alert' }, message));
			},
		);
	});

	await refresh();
	return h('div', {}, h('h1', { tabindex: -1 }, 'API tokens'), created, form, list);
}
