/**
 * The operator console's session cookie (RFC 6265): `HttpOnly` (no script reads it),
 * `SameSite=Strict` (no other site's page sends it), `Path=/` (the console's pages and the /v1
 * routes they call), `Secure` when the vault's public URL is https.
 */
export const SESSION_COOKIE = 'otobot_console';

/** The session id from a Cookie header, or undefined. Only the first cookie of that name counts. */
export function sessionCookieValue(header: string | undefined): string | undefined {
	if (!header) return undefined;
	for (const part of header.split(';')) {
		const separator = part.indexOf('=');
		if (separator < 0) continue;
		if (part.slice(0, separator).trim() === SESSION_COOKIE) return part.slice(separator + 1).trim();
	}
	return undefined;
}

/**
 * A Set-Cookie value holding `id` for `maxAgeMs` (the session's absolute expiry); `id: ''` with
 * `maxAgeMs: 0` deletes the cookie.
 */
export function sessionCookie(id: string, maxAgeMs: number, publicUrl: string): string {
	const attributes = [
		`${SESSION_COOKIE}=${id}`,
		'HttpOnly',
		'SameSite=Strict',
		'Path=/',
		`Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`,
	];
	if (publicUrl.startsWith('https://')) attributes.push('Secure');
	return attributes.join('; ');
}
