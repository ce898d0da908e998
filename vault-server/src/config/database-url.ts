/**
 * PostgreSQL connection URLs as libpq and postgres.js read them, which WHATWG `URL` does not:
 * `postgres://user:password@host1:5432,host2:5432/database?target_session_attrs=read-write`
 * names several hosts, tried in order (libpq, "Connection URIs"; PostgreSQL 15 docs §34.1.1).
 */

/** The host list of a connection URL: `host1:5432,host2:5432`, percent-decoded ('' when none). */
export function hostListOf(url: string): string {
	const authority = url.slice(url.indexOf('://') + 3).split(/[?/]/)[0] ?? '';
	return authority.slice(authority.lastIndexOf('@') + 1);
}

/**
 * The URL with its first host only, which `new URL` parses (as postgres.js does before it reads
 * the user, password, database and parameters); the URL itself when it names one host.
 */
export function firstHostUrl(url: string): string {
	const hosts = hostListOf(url);
	if (!hosts.includes(',')) return url;
	const at = url.indexOf(hosts, url.indexOf('://') + 3);
	return url.slice(0, at) + hosts.split(',')[0] + url.slice(at + hosts.length);
}
