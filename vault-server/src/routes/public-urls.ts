/**
 * The vault's pages that people and providers reach from outside, and their absolute URLs under
 * PUBLIC_URL. The HTTP layer owns these paths: the domain is handed the URLs it needs.
 */
export const CONNECT_PAGE = '/connect/:link_token';
export const OAUTH_CALLBACK = '/oauth/callback';

/**
 * The redirect URI (RFC 6749 §3.1.2) the vault registers with every provider and sends in both the
 * authorization request and the code exchange: `<PUBLIC_URL>/oauth/callback`.
 */
export const oauthRedirectUri = (publicUrl: string): string => `${publicUrl}${OAUTH_CALLBACK}`;

/** The URL a client opens to connect an account: `<PUBLIC_URL>/connect/<link token>`. */
export const connectLinkUrl = (publicUrl: string, linkToken: string): string =>
	`${publicUrl}/connect/${encodeURIComponent(linkToken)}`;
