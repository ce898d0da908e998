/**
 * Why a provider URL (authorization, token or test URL, webhook receiver) is refused: `invalid`
 * when it does not parse (WHATWG URL), `not_https` when its scheme is not https, `userinfo` when
 * it holds a user name or password (RFC 3986 §3.2.1 deprecates `user:password@`): such a URL would
 * be stored in clear and shown by the API (`GET /v1/services`, `GET /v1/webhooks`); a provider's
 * client authentication is `token_auth_method`, a receiver's the signing secret. RFC 6749 §3.1 and §3.2 require TLS
 * for both OAuth endpoints; plain http passes only with `allowInsecure`
 * (ALLOW_INSECURE_OAUTH_URLS, for local testing), so tokens and client secrets never travel in
 * clear text. The scheme says nothing about where the host is: `https://169.254.169.254/...` or
 * `https://127.0.0.1:5432` pass this check. Where the vault may connect is the address policy's
 * job (address-policy.ts, PROVIDER_PRIVATE_ADDRESSES), applied at call time by provider-http.ts.
 */
export type ProviderUrlProblem = 'invalid' | 'not_https' | 'userinfo';

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
	if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:'))
		return { problem: 'not_https' };
	if (url.username !== '' || url.password !== '') return { problem: 'userinfo' };
	return { url };
}

/**
 * The refusal of `field`'s URL, for a 400 message: never the URL itself, which may hold a
 * password.
 */
export function urlProblemMessage(field: string, problem: ProviderUrlProblem): string {
	if (problem === 'invalid') return `${field} is not a valid URL`;
	if (problem === 'userinfo')
		return `${field} must not hold a user name or password (user:password@); the vault keeps no credential in a URL`;
	return `${field} must be an https URL (ALLOW_INSECURE_OAUTH_URLS=true allows http for local testing)`;
}

/**
 * Query parameters that carry a credential: client authentication, which RFC 6749 §2.3.1 says
 * "MUST NOT be included in the request URI", tokens, which RFC 6750 §2.3 and RFC 9700 §2.4 keep
 * out of URIs, and a password. Compared without regard to case.
 */
const CREDENTIAL_PARAMETERS = new Set([
	'client_secret',
	'client_assertion',
	'access_token',
	'refresh_token',
	'password',
]);

/**
 * The name (as written) of the first query parameter of `url` that carries a credential, or
 * undefined. A URL the vault stores is shown by the API and the console, so such a URL is refused
 * where it comes in.
 */
export function credentialInQuery(url: URL): string | undefined {
	for (const name of url.searchParams.keys())
		if (CREDENTIAL_PARAMETERS.has(name.toLowerCase())) return name;
	return undefined;
}

/** The refusal of `field`'s URL holding the credential parameter `parameter`: never its value. */
export const credentialInQueryMessage = (field: string, parameter: string): string =>
	`${field} must not hold a credential in its query (${parameter}): it would be stored and shown ` +
	'in clear; the vault sends client credentials in the request body (RFC 6749 §2.3.1)';
