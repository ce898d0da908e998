/**
 * Counts failed authentications per IP in fixed windows. Once an IP reaches the limit, every
 * request from it that is not already authenticated is refused until the window ends, before its
 * token is even checked, so a right guess cannot be told from a wrong one while blocked.
 */
export class AuthFailureGuard {
	#windows = new Map<string, { failures: number; resetAt: number }>();

	constructor(
		private readonly limit: number,
		private readonly windowMs: number,
		private readonly maxTracked = 50_000,
	) {}

	/** Milliseconds until the IP may try again, or 0 when it is not blocked. */
	blockedFor(ip: string, now = Date.now()): number {
		const window = this.#windows.get(ip);
		if (!window || window.resetAt <= now || window.failures < this.limit) return 0;
		return window.resetAt - now;
	}

	recordFailure(ip: string, now = Date.now()): void {
		const window = this.#windows.get(ip);
		if (window && window.resetAt > now) {
			window.failures += 1;
			return;
		}
		if (this.#windows.size >= this.maxTracked) this.#forgetExpired(now);
		this.#windows.set(ip, { failures: 1, resetAt: now + this.windowMs });
	}

	#forgetExpired(now: number): void {
		for (const [ip, window] of this.#windows) {
			if (window.resetAt <= now) this.#windows.delete(ip);
		}
		// still full of live windows: drop the oldest entries rather than grow without bound
		for (const ip of this.#windows.keys()) {
			if (this.#windows.size < this.maxTracked) break;
			this.#windows.delete(ip);
		}
	}
}
