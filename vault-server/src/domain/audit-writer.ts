import type { Database, Queryable } from '../storage/database.js';
import type { AuditEntry } from '../storage/audit-store.js';
import { auditContent } from './audit-chain.js';
import { AuditChainAppender, type AuditChainKeySource } from './audit-chain-appender.js';
import { MicroBatcher } from '../micro-batcher.js';

export interface AuditRecord {
	entry: AuditEntry;
	/** The connection a credential fetch used: its `last_used_at` moves in the same commit. */
	usedConnection?: { clientId: string; service: string };
	/** The database token that authenticated the request. */
	usedTokenId?: string;
}

const MAX_BATCH = 500;
// one commit at a time per process, the rows arriving meanwhile make the next: fewer, larger
// commits cost less than overlapping ones, which would only queue on the chain head's lock
const MAX_IN_FLIGHT = 1;
// last_used_at is for "unused connection" monitoring: minute precision, far fewer row updates
const TOUCH_INTERVAL_MS = 60_000;
const TOUCH_MEMORY = 100_000;

/** Remembers what was marked used recently, so a busy connection is updated once a minute. */
class RecentUse {
	#at = new Map<string, number>();

	/** The keys not marked within the interval; they count as marked from now on. */
	take(keys: string[], now = Date.now()): string[] {
		const due = keys.filter((key) => (this.#at.get(key) ?? 0) <= now - TOUCH_INTERVAL_MS);
		if (this.#at.size + due.length > TOUCH_MEMORY) this.#at.clear();
		for (const key of due) this.#at.set(key, now);
		return due;
	}

	forget(keys: string[]): void {
		for (const key of keys) this.#at.delete(key);
	}
}

const connectionKey = (used: { clientId: string; service: string }) =>
	`${used.clientId}/${used.service}`;

/**
 * Group commit for the audit log. Each request awaits its row's commit (fail closed); the rows of
 * concurrent requests share one statement. The chain head's row lock, taken on the server by
 * audit_append_keyed, orders the writers of several processes.
 */
export class AuditWriter {
	#batcher: MicroBatcher<AuditRecord, void>;
	#recentConnections = new RecentUse();
	#recentTokens = new RecentUse();
	#chain: AuditChainAppender;

	constructor(
		private readonly db: Database,
		/** The keyring: the rows are chained with the key derived from its active data key. */
		keys: AuditChainKeySource,
		/** Told how long each batch took to commit, and whether it did (metrics). */
		private readonly observe?: (seconds: number, ok: boolean) => void,
	) {
		this.#batcher = new MicroBatcher((records) => this.#timed(records), {
			maxBatch: MAX_BATCH,
			maxInFlight: MAX_IN_FLIGHT,
		});
		this.#chain = new AuditChainAppender(keys);
	}

	/** Resolves once the row is committed; rejects when it could not be. */
	record(record: AuditRecord): Promise<void> {
		return this.#batcher.add(record);
	}

	/**
	 * Appends one row inside the caller's transaction `tx` (an admin write's own), bypassing the
	 * group commit: the row commits with the write or neither does. Rejects when it cannot.
	 */
	async recordInTransaction(tx: Queryable, record: AuditRecord): Promise<void> {
		await this.#chain.append(tx, [auditContent(record.entry)], {
			connections: [],
			tokens: record.usedTokenId ? [record.usedTokenId] : [],
		});
	}

	/** Waits until every queued row is written (or failed). */
	drain(): Promise<void> {
		return this.#batcher.drain();
	}

	async #timed(records: AuditRecord[]): Promise<void> {
		const started = performance.now();
		try {
			await this.#write(records);
			this.observe?.((performance.now() - started) / 1000, true);
		} catch (error) {
			this.observe?.((performance.now() - started) / 1000, false);
			throw error;
		}
	}

	async #write(records: AuditRecord[]): Promise<void> {
		const used = new Map<string, { clientId: string; service: string }>();
		for (const { usedConnection } of records)
			if (usedConnection) used.set(connectionKey(usedConnection), usedConnection);
		const connectionKeys = this.#recentConnections.take([...used.keys()]);
		const tokenIds = this.#recentTokens.take([
			...new Set(records.flatMap((record) => (record.usedTokenId ? [record.usedTokenId] : []))),
		]);
		try {
			// one statement, committed on its own: the vault chains the rows (HMAC), the database
			// appends them under the head's lock (audit_append_keyed)
			await this.#chain.append(
				this.db,
				records.map(({ entry }) => auditContent(entry)),
				{
					connections: connectionKeys.map((key) => {
						const { clientId, service } = used.get(key)!;
						return { client_id: clientId, service };
					}),
					tokens: tokenIds,
				},
			);
		} catch (error) {
			this.#chain.forgetHead();
			this.#recentConnections.forget(connectionKeys);
			this.#recentTokens.forget(tokenIds);
			throw error;
		}
	}
}
