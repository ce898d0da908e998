import type { Queryable } from './database.js';
import type { AuditCheckpoint } from './audit-store.js';

/** One partition of audit_log: its table name, and its range (both null for the default one). */
export interface AuditPartition {
	name: string;
	from: Date | null;
	to: Date | null;
}

/** The SQL behind monthly partitions and retention (sql/migrations/0015). */
export function auditRetentionStore(db: Queryable) {
	return {
		/**
		 * Creates the month partitions from the month of `from` (UTC) for `months` months, skipping
		 * those that exist (audit_create_partitions). Resolves with how many were created.
		 */
		async createPartitions(from: Date, months: number): Promise<number> {
			const rows = await db.query<{ created: number }>(
				'SELECT audit_create_partitions($1, $2) AS created',
				[from, months],
			);
			return Number(rows[0]!.created);
		},

		/** Every partition of audit_log, oldest first, the default one last. */
		async partitions(): Promise<AuditPartition[]> {
			const rows = await db.query<{ name: string; from: string | null; to: string | null }>(
				`SELECT c.relname AS name,
					(regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1] AS from,
					(regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1] AS to
				 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
				 WHERE i.inhparent = 'audit_log'::regclass`,
			);
			const at = (text: string | null) => (text === null ? null : new Date(text));
			return rows
				.map((row) => ({ name: row.name, from: at(row.from), to: at(row.to) }))
				.sort((a, b) => (a.from?.getTime() ?? Infinity) - (b.from?.getTime() ?? Infinity));
		},

		/** The newest row (by id) that occurred before `cut`: the last row an archive at the cut holds. */
		async lastRowBefore(cut: Date): Promise<AuditCheckpoint | undefined> {
			const rows = await db.query<AuditCheckpoint>(
				'SELECT id, hash FROM audit_log WHERE occurred_at < $1 ORDER BY id DESC LIMIT 1',
				[cut],
			);
			return rows[0];
		},

		/** The retention checkpoint at `id`, if there is one. */
		async checkpointAt(id: number): Promise<AuditCheckpoint | undefined> {
			const rows = await db.query<AuditCheckpoint>(
				'SELECT id, hash FROM audit_checkpoints WHERE id = $1',
				[id],
			);
			return rows[0];
		},

		/**
		 * Removes every row up to `lastId` through audit_remove_before, the one function that may,
		 * which leaves a checkpoint at `lastId`. Nothing is removed (it throws) unless exactly
		 * `expectedRows` rows go and row `lastId` has `expectedHashHex`. Resolves with the rows
		 * removed: 0 when another process removed them first.
		 */
		async removeThrough(lastId: number, expectedRows: number, expectedHashHex: string) {
			const rows = await db.query<{ removed: string | number }>(
				`SELECT audit_remove_before($1, $2, decode($3, 'hex')) AS removed`,
				[lastId + 1, expectedRows, expectedHashHex],
			);
			return Number(rows[0]!.removed);
		},
	};
}
