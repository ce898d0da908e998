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
 * scripts, and no Referer, so a connect link never travels to the provider in one.
 */
export const PAGE_HEADERS = {
	'content-type': 'text/html; charset=utf-8',
	'cache-control': 'no-store',
	'referrer-policy': 'no-referrer',
	'x-content-type-options': 'nosniff',
	'x-frame-options': 'DENY',
	'content-security-policy':
		"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

/** A short page for the client who opened a connect link; every piece of text is escaped. */
export function renderPage(title: string, message: string): string {
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
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
