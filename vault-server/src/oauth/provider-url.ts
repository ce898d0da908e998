/**
 * Why a provider URL (authorization, token or test URL) is refused: `invalid` when it does not
 * parse (WHATWG URL), `not_https` when its scheme is not https. RFC 6749 §3.1 and §3.2 require TLS
 * for both OAuth endpoints; plain http passes only with `allowInsecure`
 * (ALLOW_INSECURE_OAUTH_URLS, for local testing), so tokens and client secrets never travel in
 * clear text. The scheme says nothing about where the host is: an admin can still register
 * `https://169.254.169.254/...`, `https://127.0.0.1:5432` or a name that resolves to an internal
 * address, and the vault will call it (see docs/RELIABILITY.md, "What the vault cannot promise").
 */
export type ProviderUrlProblem = 'invalid' | 'not_https';

/** The parsed URL when the vault may call it, else why not. Never throws. */
export function parseProviderUrl(
	value: string,
	allowInsecure: boolean,
): { url: URL } | { problem: ProviderUrlProblem } {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return { problem: 'invalid' };
	}
	if (url.protocol === 'https:' || (allowInsecure && url.protocol === 'http:')) return { url };
	return { problem: 'not_https' };
}
