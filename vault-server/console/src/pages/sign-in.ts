import { ApiError } from '../api.js';
import { h } from '../dom.js';
import { signIn, type Session } from '../session.js';

/** The sign-in form: an admin token in, a session cookie out (the token is not kept here). */
export function signInPage(onSignedIn: (session: Session) => void, onSignedOut: () => void) {
	const input = h('input', {
		id: 'admin-token',
		name: 'token',
		type: 'password',
		autocomplete: 'off',
		required: true,
		spellcheck: 'false',
	});
	const message = h('p', { class: 'error', role: 'alert' });
	const form = h(
		'form',
		{ class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
		h('h1', { id: 'sign-in-title' }, 'Sign in to the Otobot Vault console'),
		h('label', { for: 'admin-token' }, 'Admin token'),
		input,
		h(
			'p',
			{ class: 'hint' },
			'An ADMIN_API_TOKEN or an admin-scoped API token. Read tokens cannot sign in.',
		),
		h('button', { type: 'submit' }, 'Sign in'),
		message,
	);
	form.addEventListener('submit', (event) => {
		event.preventDefault();
		message.textContent = '';
		signIn(input.value, onSignedOut).then(
			(session) => {
				input.value = '';
				onSignedIn(session);
			},
			(error: unknown) => {
				message.textContent =
					error instanceof ApiError && error.status === 403
						? 'This token cannot sign in: the console needs an admin token.'
						: error instanceof ApiError && error.status === 401
							? 'This token is not valid (unknown, expired or revoked).'
							: 'Signing in failed; try again.';
			},
		);
	});
	return h('main', { id: 'content', class: 'narrow' }, form);
}
