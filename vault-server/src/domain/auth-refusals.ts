import type { AuditEntry } from '../storage/audit-store.js';
import type { AuditWriter } from './audit-writer.js';

/** Why a request was refused before it was authenticated: the label set of the metric, too. */
export const REFUSAL_REASONS = [
	'no_token',
	'invalid_token',
	'auth_blocked',
	'rate_limited',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The address the refusals of addresses past the per-minute cap are counted under. */
export const OTHER_ADDRESSES = '*';
const MINUTE_MS = 60_000;

interface Tally {
	count: number;
	firstAt: number;
	lastAt: number;
	reasons: Partial<Record<RefusalReason, number>>;
}

const minuteOf = (at: number) => Math.floor(at / MINUTE_MS);

/** The `auth.refusals` row of one address for one minute. */
function refusalsEntry(ip: string, tally: Tally): AuditEntry {
	return {
		occurred_at: new Date(tally.lastAt).toISOString(),
		request_id: null,
		actor_id: null,
		actor_name: null,
		action: 'auth.refusals',
		client_id: null,
		service: null,
		status_code: null,
		error_code: null,
		ip,
		user_agent: null,
		duration_ms: null,
		workflow_id: null,
		execution_id: null,
		details: {
			count: tally.count,
			first_at: new Date(tally.firstAt).toISOString(),
			last_at: new Date(tally.lastAt).toISOString(),
			reasons: tally.reasons,
		},
	};
}

/**
 * Refusals before authentication (no or a wrong token, the failed-authentication guard, the rate
 * limit of anonymous callers), written as ONE `auth.refusals` audit row per source address per
 * minute with the count, the first and last time and the count by reason: an anonymous caller
 * cannot grow the chained log by a row per request. At most `maxAddresses` addresses are tracked
 * per minute; the refusals of the others are counted under the address `*`.
 *
 * The minute's rows are written when its first later refusal arrives, at the minute boundary
 * (a timer), and on {@link AuthRefusals.close}. A failed write is reported to `onError`: the
 * refusals disclosed nothing, so no response waits for their row.
 */
export class AuthRefusals {
	#minute = 0;
	#tallies = new Map<string, Tally>();
	#timer: NodeJS.Timeout | undefined;
	#writes = new Set<Promise<void>>();

	constructor(
		private readonly audit: AuditWriter,
		private readonly onError: (error: unknown) => void,
		private readonly maxAddresses = 1_000,
	) {}

	/** Counts one refusal of `ip` at `at` (epoch milliseconds). */
	count(ip: string, reason: RefusalReason, at = Date.now()): void {
		if (minuteOf(at) !== this.#minute) {
			void this.flush();
			this.#minute = minuteOf(at);
		}
		const key =
			this.#tallies.has(ip) || this.#tallies.size < this.maxAddresses ? ip : OTHER_ADDRESSES;
		let tally = this.#tallies.get(key);
		if (!tally) {
			tally = { count: 0, firstAt: at, lastAt: at, reasons: {} };
			this.#tallies.set(key, tally);
		}
		tally.count += 1;
		tally.firstAt = Math.min(tally.firstAt, at);
		tally.lastAt = Math.max(tally.lastAt, at);
		tally.reasons[reason] = (tally.reasons[reason] ?? 0) + 1;
		this.#timer ??= setTimeout(
			() => void this.flush(),
			(this.#minute + 1) * MINUTE_MS - Date.now(),
		).unref();
	}

	/** Writes the rows of the refusals counted so far; resolves once every write has settled. */
	flush(): Promise<void> {
		clearTimeout(this.#timer);
		this.#timer = undefined;
		const tallies = this.#tallies;
		this.#tallies = new Map();
		if (tallies.size > 0) {
			const write = Promise.all(
				[...tallies].map(([ip, tally]) =>
					this.audit.record({ entry: refusalsEntry(ip, tally) }).catch(this.onError),
				),
			).then(() => undefined);
			this.#writes.add(write);
			void write.finally(() => this.#writes.delete(write));
		}
		return Promise.all(this.#writes).then(() => undefined);
	}

	/** Writes what is pending (graceful shutdown loses no count). */
	close(): Promise<void> {
		return this.flush();
	}
}
