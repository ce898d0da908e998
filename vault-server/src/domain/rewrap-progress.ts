import type { KeysStatus } from './key-status.js';
import type { RewrapTotals } from './rewrap.js';

/** How far a rewrap has come: units done out of the total, and their ratio (0..1). */
export interface Progress {
	done: number;
	total: number;
	/** done / total; 1 when there is nothing to do. */
	ratio: number;
}

const progress = (done: number, total: number): Progress => {
	const whole = Math.max(total, done);
	return { done, total: whole, ratio: whole === 0 ? 1 : done / whole };
};

/**
 * A run's progress, as `keys rewrap` reports it while it works: rows rewrapped or found
 * undecryptable, out of the rows that were stale when it started.
 */
export const runProgress = (totals: RewrapTotals): Progress =>
	progress(totals.rewrapped + totals.failed.length, totals.total);

export interface RewrapState extends Progress {
	/** The version a rewrap moves ciphertexts to: the active one (null before the first key). */
	target_version: number | null;
	/** Ciphertexts still under another version: what `keys rewrap` has left to move. */
	remaining: number;
}

/**
 * A rewrap's progress read from the ciphertexts themselves, so any process can show it while a
 * `keys rewrap` runs elsewhere (each committed batch moves `done` on): ciphertexts under the
 * active version out of every ciphertext the vault keeps.
 */
export function rewrapState(status: KeysStatus): RewrapState {
	const total = status.keys.reduce((sum, key) => sum + key.ciphertexts, 0);
	return {
		target_version: status.active_version,
		remaining: status.not_on_active,
		...progress(total - status.not_on_active, total),
	};
}
