import type { PageBranding } from '../../domain/branding.js';
import { STYLESHEET_PATH } from './page-style.js';

const ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;',
};

/** Text made safe to print anywhere in an HTML page: element content or attribute values. */
export const escapeHtml = (text: string): string =>
	text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);

/**
 * The headers of every connect-flow page: never cached, never framed (clickjacking), no
 * scripts, and no Referer, so a connect link never travels to the provider in one. Styles and
 * the logo come from the vault itself (`'self'`), nothing inline.
 */
export const PAGE_HEADERS = {
	'content-type': 'text/html; charset=utf-8',
	'cache-control': 'no-store',
	'referrer-policy': 'no-referrer',
	'x-content-type-options': 'nosniff',
	'x-frame-options': 'DENY',
	'content-security-policy':
		"default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** The pages' look when no agency branding is set, or it cannot be read. */
export const UNBRANDED: PageBranding = { agencyName: null, accentColor: '#2563eb', logoUrl: null };

function header(branding: PageBranding): string {
	const name = branding.agencyName === null ? '' : escapeHtml(branding.agencyName);
	const logo =
		branding.logoUrl === null
			? ''
			: `<img src="${escapeHtml(branding.logoUrl)}" alt="${name ? `${name} logo` : 'Logo'}">`;
	const agency = name ? `<span class="agency">${name}</span>` : '';
	return `<header>${logo}${agency}</header>`;
}

/**
 * A page for the client who opened a connect link, in the agency's branding: its logo, name and
 * accent colour (through the stylesheet). `kind` says whether it reports success or a refusal.
 * Every piece of text is escaped; the page holds no script.
 */
export function renderPage(
	title: string,
	message: string,
	branding: PageBranding = UNBRANDED,
	kind: 'success' | 'error' = 'error',
): string {
	const tab = branding.agencyName ? `${title} · ${branding.agencyName}` : title;
	const style = `${STYLESHEET_PATH}?v=${branding.accentColor.slice(1)}`;
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(tab)}</title>
<link rel="stylesheet" href="${escapeHtml(style)}">
</head>
<body>
<main class="${kind}">
${header(branding)}
<div class="status" aria-hidden="true">${kind === 'success' ? '✓' : '!'}</div>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
<footer>You sign in at the service itself: this site never sees your password.</footer>
</main>
</body>
</html>
`;
}

/** The title of each refusal the connect pages can show. */
export const ERROR_TITLES: Record<string, string> = {
	CONNECT_LINK_NOT_FOUND: 'Link not valid',
	CONNECT_LINK_EXPIRED: 'Link expired',
	CONNECT_LINK_USED: 'Link already used',
	CONNECT_LINK_REVOKED: 'Link revoked',
	OAUTH_STATE_INVALID: 'Sign-in not valid',
	OAUTH_STATE_USED: 'Sign-in already used',
	OAUTH_STATE_EXPIRED: 'Sign-in expired',
	OAUTH_AUTHORIZATION_DENIED: 'Access not granted',
	OAUTH_AUTHORIZATION_FAILED: 'Sign-in failed',
	OAUTH_EXCHANGE_FAILED: 'Connection failed',
	SERVICE_NOT_CONNECTABLE: 'Service not ready',
	RATE_LIMITED: 'Too many requests',
};
