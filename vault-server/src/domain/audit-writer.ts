import type { Database, Queryable } from '../storage/database.js';
import type { AuditEntry } from '../storage/audit-store.js';
import { auditContent } from './audit-chain.js';
import { AuditChainAppender, type AuditChainKeySource } from './audit-chain-appender.js';
import { MicroBatcher } from '../micro-batcher.js';
import { clipText, storableEntry } from './audit-values.js';

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

/**
 * Remembers what was marked used recently, so a busy connection is updated once a minute. Its
 * memory is bounded: a take that would hold more than 100,000 keys forgets all of them first, and
 * those keys are then due again at once (one more update each). Exported for its unit test.
 */
export class RecentUse {
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

/** Undefined once the record's row is committed; the reason it is not otherwise. */
type Outcome = { error: unknown } | undefined;

/** The database's own error class (SQLSTATE, e.g. 22003), never its message or parameters. */
const sqlState = (error: unknown): string | null => {
	const code = (error as { code?: unknown } | null)?.code;
	return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
};

/**
 * The row that says a record's own row could not be written: who, what and where, clipped,
 * without the fields that could have made the database refuse it (details, numbers, its time).
 */
function unwritableRecord({ entry }: AuditRecord, error: unknown): AuditRecord {
	return {
		entry: {
			occurred_at: new Date().toISOString(),
			request_id: clipText(entry.request_id, 128),
			actor_id: clipText(entry.actor_id, 128),
			actor_name: clipText(entry.actor_name, 128),
			action: 'audit.row_unwritable',
			client_id: clipText(entry.client_id, 128),
			service: clipText(entry.service, 128),
			status_code: null,
			error_code: 'AUDIT_ROW_UNWRITABLE',
			ip: clipText(entry.ip, 64),
			user_agent: null,
			duration_ms: null,
			workflow_id: null,
			execution_id: null,
			details: { action: clipText(entry.action, 128), sqlstate: sqlState(error) },
		},
	};
}

/**
 * Group commit for the audit log. Each request awaits its row's commit (fail closed); the rows of
 * concurrent requests share one statement. The chain head's row lock, taken on the server by
 * audit_append_keyed, orders the writers of several processes.
 *
 * Every string is made storable first (audit-values.ts). A batch the database refuses is retried
 * row by row, so one row it cannot store fails only its own request; that row is replaced by an
 * `audit.row_unwritable` row saying so. When even that minimal row is refused, the database is
 * the problem, not the rows: the rest of the batch fails without more tries.
 */
export class AuditWriter {
	#batcher: MicroBatcher<AuditRecord, Outcome>;
	#recentConnections = new RecentUse();
	#recentTokens = new RecentUse();
	#chain: AuditChainAppender;

	constructor(
		private readonly db: Database,
		/** The keyring: the rows are chained with the key derived from its active data key. */
		keys: AuditChainKeySource,
		/** Told how long each statement (a batch, or one row of a retried batch) took, and whether it committed (metrics). */
		private readonly observe?: (seconds: number, ok: boolean) => void,
	) {
		this.#batcher = new MicroBatcher((records) => this.#timed(records), {
			maxBatch: MAX_BATCH,
			maxInFlight: MAX_IN_FLIGHT,
		});
		this.#chain = new AuditChainAppender(keys);
	}

	/** Resolves once the row is committed; rejects when it could not be. */
	async record(record: AuditRecord): Promise<void> {
		const outcome = await this.#batcher.add({ ...record, entry: storableEntry(record.entry) });
		if (outcome) throw outcome.error;
	}

	/**
	 * Appends one row inside the caller's transaction `tx` (an admin write's own), bypassing the
	 * group commit: the row commits with the write or neither does. Rejects when it cannot.
	 */
	async recordInTransaction(tx: Queryable, record: AuditRecord): Promise<void> {
		await this.#chain.append(tx, [auditContent(storableEntry(record.entry))], {
			connections: [],
			tokens: record.usedTokenId ? [record.usedTokenId] : [],
		});
	}

	/** Waits until every queued row is written (or failed). */
	drain(): Promise<void> {
		return this.#batcher.drain();
	}

	async #timed(records: AuditRecord[]): Promise<Outcome[]> {
		const error = await this.#statement(records);
		if (error === undefined) return records.map(() => undefined);
		return this.#rowByRow(records, records.length === 1 ? error : undefined);
	}

	/** Writes each record on its own; `knownError` is the first record's, already tried alone. */
	async #rowByRow(records: AuditRecord[], knownError?: unknown): Promise<Outcome[]> {
		const outcomes: Outcome[] = [];
		for (const record of records) {
			const error =
				outcomes.length === 0 && knownError !== undefined
					? knownError
					: await this.#statement([record]);
			if (error === undefined) {
				outcomes.push(undefined);
				continue;
			}
			outcomes.push({ error });
			if ((await this.#statement([unwritableRecord(record, error)])) !== undefined) {
				while (outcomes.length < records.length) outcomes.push({ error });
				break;
			}
		}
		return outcomes;
	}

	/** One commit, timed for the metrics: undefined when it committed, its error otherwise. */
	async #statement(records: AuditRecord[]): Promise<unknown> {
		const started = performance.now();
		try {
			await this.#write(records);
			this.observe?.((performance.now() - started) / 1000, true);
			return undefined;
		} catch (error) {
			this.observe?.((performance.now() - started) / 1000, false);
			return error ?? new Error('audit write failed');
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
