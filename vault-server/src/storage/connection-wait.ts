/**
 * How long a statement may wait for a pooled connection before it is given up. postgres.js has no
 * such bound: while PostgreSQL is down, queued statements wait for one failed connection attempt
 * each, behind the driver's reconnect delays, so a request could hang for tens of seconds. The
 * bound turns that wait into a prompt DATABASE_UNAVAILABLE (503). It applies to the wait only:
 * a statement already sent (one waiting on a lock, say) runs as long as PostgreSQL lets it.
 */
export const DEFAULT_CONNECTION_WAIT_MS = 3000;
/** The wait while the last statement found the database unreachable: failures come fast. */
const WAIT_WHILE_DOWN_MS = 500;

/** Network and server-shutdown failures of the database: the vault is up, its storage is not. */
const CONNECTION_FAILURES = new Set([
	'ECONNREFUSED',
	'ECONNRESET',
	'ETIMEDOUT',
	'EPIPE',
	'CONNECTION_CLOSED',
	'CONNECTION_ENDED',
	'CONNECTION_DESTROYED',
	'CONNECT_TIMEOUT',
	'CONNECTION_WAIT_TIMEOUT',
	'57P01', // admin_shutdown
	'57P02', // crash_shutdown
	'57P03', // cannot_connect_now
]);

export function isConnectionFailure(error: unknown): boolean {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'string' && CONNECTION_FAILURES.has(code);
}

/** The database gave no connection in time: the error handler answers DATABASE_UNAVAILABLE. */
export class ConnectionWaitTimeout extends Error {
	readonly code = 'CONNECTION_WAIT_TIMEOUT';

	constructor(waitMs: number) {
		super(`no database connection within ${waitMs} ms`);
		this.name = 'ConnectionWaitTimeout';
	}
}

/**
 * Resolves as `work` does, unless `started()` is still false after `waitMs`: then `abandon` is
 * called (to take the statement out of the driver's queue) and the promise rejects at once.
 */
export function boundConnectionWait<T>(
	work: Promise<T>,
	waitMs: number,
	started: () => boolean,
	abandon: () => void,
): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		let settled = false;
		const timer = setTimeout(function check() {
			if (settled || started()) return;
			settled = true;
			abandon();
			reject(new ConnectionWaitTimeout(waitMs));
		}, waitMs);
		work.then(
			(value) => {
				clearTimeout(timer);
				if (!settled) resolve(value);
				settled = true;
			},
			(error: unknown) => {
				clearTimeout(timer);
				if (!settled) reject(error);
				settled = true;
			},
		);
	});
}

/**
 * The bound for one pool: the full wait while the database answers, a short one from the moment a
 * statement finds it unreachable until one succeeds again, so an outage is reported at once
 * instead of after a wait per statement.
 */
export class ConnectionWaitPolicy {
	#down = false;

	constructor(private readonly waitMs: number) {}

	bound<T>(work: Promise<T>, started: () => boolean, abandon: () => void): Promise<T> {
		const waitMs = this.#down ? Math.min(WAIT_WHILE_DOWN_MS, this.waitMs) : this.waitMs;
		return boundConnectionWait(work, waitMs, started, abandon).then(
			(value) => {
				this.#down = false;
				return value;
			},
			(error: unknown) => {
				this.#down = isConnectionFailure(error);
				throw error;
			},
		);
	}
}
