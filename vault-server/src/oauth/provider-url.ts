/**
 * Why a provider URL (authorization, token or test URL) is refused: `invalid` when it does not
 * parse (WHATWG URL), `not_https` when its scheme is not https. RFC 6749 §3.1 and §3.2 require TLS
 * for both OAuth endpoints; plain http passes only with `allowInsecure`
 * (ALLOW_INSECURE_OAUTH_URLS, for local testing), so a service row cannot point the vault at an
 * internal host in clear text.
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
