import type { SharedCounters } from '../../limits/shared-counters.js';

/**
 * Counts failed authentications per IP in fixed windows, on the shared counters (Redis when
 * configured, so the limit holds across every process; this process's memory otherwise). Once an
 * IP reaches the limit, every wrong token from it is answered 429 instead of 401 until the window
 * ends. A valid token from a blocked IP still passes (auth.ts checks it
 * first): the IP may be shared with other software (n8n behind one NAT), whose mistakes must not
 * lock n8n out. What a blocked guesser could learn is only that a guess was right, and guessing
 * is hopeless anyway: database tokens carry 256 random bits, environment tokens at least 16
 * characters.
 */
export class AuthFailureGuard {
	constructor(
		private readonly counters: SharedCounters,
		private readonly limit: number,
		private readonly windowMs: number,
	) {}

	/**
	 * Counts one failed authentication from `ip` and says whether it is over the limit: the
	 * milliseconds until the IP may try again, or 0 for a failure within the limit (answer 401).
	 * Counted first, in one atomic step (INCRBY on Redis), so a burst of concurrent wrong tokens
	 * gets exactly `limit` 401s, not one per request in flight.
	 */
	async failure(ip: string): Promise<number> {
		const window = await this.counters.add(`auth:${ip}`, 1, this.windowMs);
		return window.current <= this.limit ? 0 : window.ttlMs;
	}
}
