import { firstHostUrl, hostListOf } from '../config/database-url.js';

/**
 * PostgreSQL refused or could not be reached at start (no server, unknown role or database, wrong
 * password). The message names DATABASE_URL, where it was set and the server it points at, with
 * the server's own reason; never the password.
 */
export class DatabaseUnreachable extends Error {
	constructor(url: string, source: string, reason: string) {
		super(
			`cannot connect to the database in DATABASE_URL (${describeTarget(url)}, set in ${source}): ${reason}`,
		);
		this.name = 'DatabaseUnreachable';
	}
}

/** `postgres://user@host:port/db`: the URL without its password or parameters (every host named). */
function describeTarget(url: string): string {
	try {
		const parsed = new URL(firstHostUrl(url));
		const user = parsed.username ? `${parsed.username}@` : '';
		return `${parsed.protocol}//${user}${hostListOf(url)}${parsed.pathname}`;
	} catch {
		return 'a URL that does not parse';
	}
}

const HINTS: Record<string, string> = {
	ECONNREFUSED: 'nothing listens there; is PostgreSQL running?',
	ENOTFOUND: 'unknown host',
	CONNECT_TIMEOUT: 'no answer in time',
};

/** The driver's reason, without the password should a message ever repeat the URL. */
export function unreachableReason(error: unknown, url: string): string {
	const { message, code } = error as { message?: string; code?: string };
	const hint = code && HINTS[code] ? ` (${HINTS[code]})` : '';
	let password = '';
	try {
		password = decodeURIComponent(new URL(firstHostUrl(url)).password);
	} catch {
		// the target above already says the URL does not parse
	}
	const text = `${message ?? String(error)}${hint}`;
	return password ? text.split(password).join('[REDACTED]') : text;
}
