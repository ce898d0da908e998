import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../storage/database.js';
import {
	criticalErrorsStore,
	type CriticalErrorBatch,
} from '../../storage/critical-errors-store.js';

export type CriticalErrorKind =
	| 'decryption_failed'
	| 'database_error'
	| 'audit_write_failed'
	| 'internal_error';

/** The API error codes the "critical API errors" rule counts, by kind. */
export const CRITICAL_ERROR_CODES: Record<string, CriticalErrorKind> = {
	VAULT_DECRYPTION_FAILED: 'decryption_failed',
	DATABASE_UNAVAILABLE: 'database_error',
	AUDIT_UNAVAILABLE: 'audit_write_failed',
	INTERNAL_ERROR: 'internal_error',
};

const FLUSH_INTERVAL_MS = 5_000;

/**
 * Counts critical errors as they happen and writes them in batches. They are not read back from
 * the audit log because the worst of them (an audit write failure, a database outage) cannot be
 * written there; counts wait in memory (one counter per kind, so bounded) until the database
 * answers again.
 */
export class CriticalErrorRecorder {
	#pending = new Map<CriticalErrorKind, CriticalErrorBatch>();
	#timer: NodeJS.Timeout | undefined;
	#flushing: Promise<void> | undefined;

	constructor(
		private readonly db: Database,
		private readonly log: FastifyBaseLogger,
		private readonly onRecord?: (kind: CriticalErrorKind) => void,
	) {}

	record(kind: CriticalErrorKind, at = new Date()): void {
		const batch = this.#pending.get(kind);
		if (batch) {
			batch.count += 1;
			batch.last_at = at;
		} else this.#pending.set(kind, { kind, count: 1, first_at: at, last_at: at });
		this.onRecord?.(kind);
		this.#timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS).unref();
	}

	/** Writes what was counted; on failure keeps it for the next try. */
	async flush(): Promise<void> {
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = undefined;
		while (this.#flushing) await this.#flushing;
		if (this.#pending.size === 0) return;
		const batches = [...this.#pending.values()];
		this.#pending = new Map();
		this.#flushing = criticalErrorsStore(this.db)
			.append(batches)
			.catch((error: unknown) => {
				this.log.warn({ err: error }, 'critical error counts not written yet; will retry');
				for (const batch of batches) this.#merge(batch);
				this.#timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS).unref();
			})
			.finally(() => {
				this.#flushing = undefined;
			});
		await this.#flushing;
	}

	#merge(batch: CriticalErrorBatch) {
		const current = this.#pending.get(batch.kind as CriticalErrorKind);
		if (!current) return void this.#pending.set(batch.kind as CriticalErrorKind, batch);
		current.count += batch.count;
		current.first_at = batch.first_at;
	}
}
