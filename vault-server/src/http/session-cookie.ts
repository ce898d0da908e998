/**
 * The operator console's session cookie (RFC 6265): `HttpOnly` (no script reads it),
 * `SameSite=Strict` (no other site's page sends it), `Path=/` (the console's pages and the /v1
 * routes they call), `Secure` when the vault's public URL is https.
 */
export const SESSION_COOKIE = 'otobot_console';

/**
 * The cookie's name for a vault at `publicUrl`: on https `__Host-otobot_console` (RFC 6265bis
 * §4.1.3.2), which a browser keeps only when set Secure, with `Path=/` and no Domain by this very
 * host, so a sibling subdomain can neither plant one nor crowd it out with cookies of its own; on
 * http (local testing, where the prefix is not allowed) `otobot_console`.
 */
export const sessionCookieName = (publicUrl: string): string =>
	publicUrl.startsWith('https://') ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;

/** At most this many cookies of that name are looked at (a header may repeat it; each costs a lookup). */
export const MAX_SESSION_COOKIES = 4;

/**
 * Every value of a cookie named `name` (sessionCookieName) in a Cookie header, in header order, at
 * most MAX_SESSION_COOKIES; empty when there is none. A browser sends several when a sibling
 * subdomain (or another path) set one of the same name (RFC 6265 §5.4 orders them but a server
 * cannot tell whose each is), so the caller accepts the request if any one of them is a valid
 * session.
 */
export function sessionCookieValues(header: string | undefined, name: string): string[] {
	const values: string[] = [];
	if (!header) return values;
	for (const part of header.split(';')) {
		const separator = part.indexOf('=');
		if (separator < 0 || part.slice(0, separator).trim() !== name) continue;
		values.push(part.slice(separator + 1).trim());
		if (values.length === MAX_SESSION_COOKIES) break;
	}
	return values;
}

/**
 * A Set-Cookie value holding `id` for `maxAgeMs` (the session's absolute expiry); `id: ''` with
 * `maxAgeMs: 0` deletes the cookie.
 */
export function sessionCookie(id: string, maxAgeMs: number, publicUrl: string): string {
	const attributes = [
		`${sessionCookieName(publicUrl)}=${id}`,
		'HttpOnly',
		'SameSite=Strict',
		'Path=/',
		`Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`,
	];
	if (publicUrl.startsWith('https://')) attributes.push('Secure');
	return attributes.join('; ');
}
