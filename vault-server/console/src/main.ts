import { ApiError } from './api.js';
import { h, replace } from './dom.js';
import { alertsPage } from './pages/alerts.js';
import { attentionPage } from './pages/attention.js';
import { auditPage } from './pages/audit.js';
import { brandingPage } from './pages/branding.js';
import { clientPage } from './pages/client.js';
import { clientsPage } from './pages/clients.js';
import { connectionPage } from './pages/connection.js';
import { keysPage } from './pages/keys.js';
import { overviewPage } from './pages/overview.js';
import { servicePage } from './pages/service.js';
import { servicesPage } from './pages/services.js';
import { signInPage } from './pages/sign-in.js';
import { tokensPage } from './pages/tokens.js';
import { currentSession, signOut, type Session } from './session.js';

const root = document.getElementById('app')!;
const NAV = [
	{ href: '#/', label: 'Overview' },
	{ href: '#/clients', label: 'Clients' },
	{ href: '#/services', label: 'Services' },
	{ href: '#/alerts', label: 'Alerts' },
	{ href: '#/keys', label: 'Keys' },
	{ href: '#/tokens', label: 'API tokens' },
	{ href: '#/audit', label: 'Audit' },
	{ href: '#/branding', label: 'Branding' },
];

/**
 * The page of a hash route: `#/`, `#/clients?q=`, `#/clients/<id>`,
 * `#/clients/<id>/<service>?before_id=`, `#/audit?<search>`, `#/branding`, ...
 */
function pageOf(hash: string): Promise<HTMLElement> {
	const [path = '', search = ''] = hash.replace(/^#/, '').split('?');
	const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
	const query = new URLSearchParams(search);
	if (parts[0] === 'clients' && parts.length === 3)
		return connectionPage(parts[1]!, parts[2]!, query);
	if (parts[0] === 'clients' && parts.length === 2) return clientPage(parts[1]!);
	if (parts[0] === 'clients') return clientsPage(query);
	if (parts[0] === 'services' && parts.length === 2) return servicePage(parts[1]!);
	if (parts[0] === 'services') return servicesPage();
	if (parts[0] === 'keys') return keysPage();
	if (parts[0] === 'tokens') return tokensPage();
	if (parts[0] === 'audit') return auditPage(query);
	if (parts[0] === 'branding') return brandingPage();
	if (parts[0] === 'attention' && parts[1]) return attentionPage(parts[1]);
	if (parts[0] === 'alerts') return alertsPage();
	return overviewPage();
}

function currentNav(href: string): boolean {
	const hash = location.hash || '#/';
	return href === '#/' ? hash === '#/' || hash === '' : hash.startsWith(href);
}

async function render(session: Session): Promise<void> {
	const content = h('main', { id: 'content' }, h('p', { class: 'loading' }, 'Loading…'));
	const signOutButton = h('button', { type: 'button', class: 'link' }, 'Sign out');
	signOutButton.addEventListener('click', () => void signOut().then(showSignIn));
	replace(
		root,
		h(
			'header',
			{ class: 'top' },
			h('a', { href: '#/', class: 'brand' }, 'Otobot Vault'),
			h(
				'nav',
				{ 'aria-label': 'Console' },
				h(
					'ul',
					{},
					NAV.map(({ href, label }) =>
						h(
							'li',
							{},
							h('a', { href, 'aria-current': currentNav(href) ? 'page' : undefined }, label),
						),
					),
				),
			),
			h('p', { class: 'who' }, 'Signed in as ', h('strong', {}, session.actor.name)),
			signOutButton,
		),
		content,
	);
	try {
		replace(content, await pageOf(location.hash));
		content.querySelector('h1')?.focus();
	} catch (error) {
		if (error instanceof ApiError && error.status === 401) return;
		const message = error instanceof ApiError ? error.message : 'The page could not be loaded';
		replace(
			content,
			h('h1', { tabindex: -1 }, 'Something went wrong'),
			h('p', { role: 'alert' }, message),
		);
	}
}

let session: Session | undefined;

function showSignIn(): void {
	session = undefined;
	replace(
		root,
		signInPage((signedIn) => {
			session = signedIn;
			void render(signedIn);
		}, showSignIn),
	);
	document.getElementById('admin-token')?.focus();
}

window.addEventListener('hashchange', () => {
	if (session) void render(session);
});

void currentSession(showSignIn).then((found) => {
	session = found;
	if (found) void render(found);
	else showSignIn();
});
