import { VaultError } from '../../errors.js';

/** What a caller refused a slot is told to wait before trying again, in seconds. */
const BUSY_RETRY_AFTER_SECONDS = 5;

/**
 * A counting semaphore for the provider calls that callers wait on: at most `limit` run at once,
 * at most `queueLimit` wait in line (first come, first served), and one more is refused with
 * REFRESH_BUSY (503, Retry-After) at once rather than held. Keeps a crowd of due connections at a
 * slow provider from taking every pooled database connection and every socket.
 */
export class RefreshSlots {
	#running = 0;
	readonly #waiting: (() => void)[] = [];

	constructor(
		private readonly limit: number,
		private readonly queueLimit: number,
	) {}

	/** Runs `work` in a slot; throws REFRESH_BUSY without running it when the line is full. */
	async run<T>(work: () => Promise<T>): Promise<T> {
		if (this.#running >= this.limit) {
			if (this.#waiting.length >= this.queueLimit) {
				throw new VaultError(
					'REFRESH_BUSY',
					`${this.#running} token refreshes are under way and ${this.#waiting.length} wait; try again shortly`,
					undefined,
					BUSY_RETRY_AFTER_SECONDS,
				);
			}
			// the slot is handed over by the finishing call, so #running stays counted
			await new Promise<void>((resolve) => this.#waiting.push(resolve));
		} else {
			this.#running += 1;
		}
		try {
			return await work();
		} finally {
			const next = this.#waiting.shift();
			if (next) next();
			else this.#running -= 1;
		}
	}
}
