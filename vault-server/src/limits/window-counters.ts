/** A counter's value in its window and the milliseconds until the window ends (0: no window). */
export interface WindowCount {
	current: number;
	ttlMs: number;
}

/**
 * Counters in fixed windows, in this process's memory: a window opens at a key's first unit and
 * lasts `windowMs`. At most `maxTracked` keys are kept: once full, expired windows are forgotten,
 * then the oldest, rather than grow without bound under a flood of addresses.
 */
export class WindowCounters {
	#windows = new Map<string, { count: number; resetAt: number }>();

	constructor(private readonly maxTracked = 50_000) {}

	/** Adds `units` to `key`'s window (opening one of `windowMs` when none is live). */
	add(key: string, units: number, windowMs: number, now = Date.now()): WindowCount {
		const window = this.#windows.get(key);
		if (window && window.resetAt > now) {
			window.count += units;
			return { current: window.count, ttlMs: window.resetAt - now };
		}
		if (this.#windows.size >= this.maxTracked) this.#forgetExpired(now);
		this.#windows.set(key, { count: units, resetAt: now + windowMs });
		return { current: units, ttlMs: windowMs };
	}

	/** `key`'s count in its live window, without adding to it. */
	read(key: string, now = Date.now()): WindowCount {
		const window = this.#windows.get(key);
		if (!window || window.resetAt <= now) return { current: 0, ttlMs: 0 };
		return { current: window.count, ttlMs: window.resetAt - now };
	}

	#forgetExpired(now: number): void {
		for (const [key, window] of this.#windows) {
			if (window.resetAt <= now) this.#windows.delete(key);
		}
		// still full of live windows: drop the oldest entries rather than grow without bound
		for (const key of this.#windows.keys()) {
			if (this.#windows.size < this.maxTracked) break;
			this.#windows.delete(key);
		}
	}
}
