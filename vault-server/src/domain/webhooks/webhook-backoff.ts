/** How long a delivery is retried: 24 hours after it was queued (issue 16 §4). */
export const DELIVERY_HORIZON_MS = 86_400_000;

/** No wait between two attempts is longer than an hour, so a receiver back up is heard soon. */
const MAX_DELAY_MS = 3_600_000;

/**
 * When to try a delivery again after its `attempts`-th failed attempt: `baseDelayMs` × 2^(attempts-1),
 * at most an hour, with up to 10 % jitter so processes do not retry in step; `undefined` once
 * that would be past the 24-hour horizon counted from `createdAt` (then the delivery is failed).
 */
export function nextAttemptAt(
	attempts: number,
	createdAt: Date,
	baseDelayMs: number,
	now = Date.now(),
): Date | undefined {
	const delay = Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** Math.min(attempts - 1, 30));
	const at = now + delay + Math.floor(Math.random() * delay * 0.1);
	return at > createdAt.getTime() + DELIVERY_HORIZON_MS ? undefined : new Date(at);
}
