/**
 * Counts failed authentications per IP in fixed windows. Once an IP reaches the limit, every
 * wrong token from it is answered 429 instead of 401 until the window ends, and no longer counted.
 * A valid token from a blocked IP still passes (auth.ts checks it first): the IP may be shared
 * with other software (n8n behind one NAT), whose mistakes must not lock n8n out. What a blocked
 * guesser could learn is only that a guess was right, and guessing is hopeless anyway: database
 * tokens carry 256 random bits, environment tokens at least 16 characters.
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
