/**
 * Why a provider URL (authorization, token or test URL) is refused: `invalid` when it does not
 * parse (WHATWG URL), `not_https` when its scheme is not https. RFC 6749 §3.1 and §3.2 require TLS
 * for both OAuth endpoints; plain http passes only with `allowInsecure`
 * (ALLOW_INSECURE_OAUTH_URLS, for local testing), so tokens and client secrets never travel in
 * clear text. The scheme says nothing about where the host is: `https://169.254.169.254/...` or
 * `https://127.0.0.1:5432` pass this check. Where the vault may connect is the address policy's
 * job (address-policy.ts, PROVIDER_PRIVATE_ADDRESSES), applied at call time by provider-http.ts.
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
