import type { Queryable } from './database.js';

export interface CriticalErrorBatch {
	kind: string;
	count: number;
	first_at: Date;
	last_at: Date;
}

export function criticalErrorsStore(db: Queryable) {
	return {
		async append(batches: CriticalErrorBatch[]) {
			if (batches.length === 0) return;
			await db.query(
				`INSERT INTO critical_errors (kind, count, first_at, last_at)
				 SELECT kind, count, first_at, last_at
				 FROM jsonb_to_recordset($1::jsonb) AS b(kind text, count integer, first_at timestamptz, last_at timestamptz)`,
				[batches],
			);
		},

		/** Rows older than the longest window any rule reads are of no use. */
		async prune(olderThan: Date) {
			await db.query('DELETE FROM critical_errors WHERE last_at < $1', [olderThan]);
		},
	};
}
