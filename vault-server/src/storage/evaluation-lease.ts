import type { Database, Queryable } from './database.js';

// the advisory-lock key of the alert evaluator (migrations use 774_211_901)
const EVALUATOR_LOCK_KEY = 774_211_902;

/**
 * Runs `work` if this process wins the evaluator's lease: no other process is evaluating (a
 * transaction-scoped advisory lock, released if the holder dies) and the last evaluation, by any
 * process, is at least `minIntervalMs` old. `undefined` when the lease was not won.
 */
export async function withEvaluationLease<T>(
	db: Database,
	minIntervalMs: number,
	work: (q: Queryable) => Promise<T>,
): Promise<T | undefined> {
	return db.transaction(async (tx) => {
		const [lock] = await tx.query<{ locked: boolean }>(
			'SELECT pg_try_advisory_xact_lock($1) AS locked',
			[EVALUATOR_LOCK_KEY],
		);
		if (!lock?.locked) return undefined;
		const claimed = await tx.query(
			`UPDATE alert_evaluations SET last_run_at = now()
			 WHERE id = 1 AND last_run_at <= now() - make_interval(secs => $1::double precision)
			 RETURNING id`,
			[minIntervalMs / 1000],
		);
		if (claimed.length === 0) return undefined;
		return work(tx);
	});
}
