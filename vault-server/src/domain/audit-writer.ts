import type { Database } from '../storage/database.js';
import { auditStore, type AuditEntry, type ChainedEntry } from '../storage/audit-store.js';
import { touchConnections } from '../storage/connections-store.js';
import { touchApiTokens } from '../storage/api-tokens-store.js';
import { hashAuditRow } from './audit-chain.js';

export interface AuditRecord {
	entry: AuditEntry;
	/** The connection a credential fetch used: its `last_used_at` moves in the same commit. */
	usedConnection?: { clientId: string; service: string };
	/** The database token that authenticated the request. */
	usedTokenId?: string;
}

interface Pending {
	record: AuditRecord;
	resolve: () => void;
	reject: (error: unknown) => void;
}

const MAX_BATCH = 500;

/**
 * Group commit for the audit log. Each request awaits its row's commit (fail closed); the rows of
 * concurrent requests share one transaction, started as soon as the previous one returns. The
 * chain head's row lock orders writers across processes.
 */
export class AuditWriter {
	#queue: Pending[] = [];
	#flushing: Promise<void> | undefined;

	constructor(
		private readonly db: Database,
		/** Told how long each batch took to commit, and whether it did (metrics). */
		private readonly observe?: (seconds: number, ok: boolean) => void,
	) {}

	/** Resolves once the row is committed; rejects when it could not be. */
	record(record: AuditRecord): Promise<void> {
		return new Promise((resolve, reject) => {
			this.#queue.push({ record, resolve, reject });
			this.#startFlush();
		});
	}

	/** Waits until every queued row is written (or failed). */
	async drain(): Promise<void> {
		while (this.#flushing) await this.#flushing;
	}

	#startFlush() {
		if (this.#flushing || this.#queue.length === 0) return;
		const batch = this.#queue.splice(0, MAX_BATCH);
		const started = performance.now();
		const observe = (ok: boolean) => this.observe?.((performance.now() - started) / 1000, ok);
		this.#flushing = this.#write(batch.map((pending) => pending.record)).then(
			() => {
				observe(true);
				batch.forEach((pending) => pending.resolve());
			},
			(error: unknown) => {
				observe(false);
				batch.forEach((pending) => pending.reject(error));
			},
		);
		void this.#flushing.finally(() => {
			this.#flushing = undefined;
			this.#startFlush();
		});
	}

	async #write(records: AuditRecord[]): Promise<void> {
		await this.db.transaction(async (tx) => {
			const store = auditStore(tx);
			const head = await store.lockHead();
			let id = head.last_id;
			let prevHash = Buffer.from(head.last_hash).toString('hex');
			const rows: ChainedEntry[] = records.map(({ entry }) => {
				id += 1;
				const hash = hashAuditRow(prevHash, { ...entry, id });
				const row = { ...entry, id, prev_hash: prevHash, hash };
				prevHash = hash;
				return row;
			});
			await store.append(rows);
			await touchConnections(tx, uniqueConnections(records));
			await touchApiTokens(tx, [
				...new Set(records.flatMap((record) => (record.usedTokenId ? [record.usedTokenId] : []))),
			]);
		});
	}
}

function uniqueConnections(records: AuditRecord[]) {
	const seen = new Map<string, { clientId: string; service: string }>();
	for (const { usedConnection } of records) {
		if (usedConnection) seen.set(`${usedConnection.clientId}\u0000${usedConnection.service}`, usedConnection);
	}
	return [...seen.values()];
}
