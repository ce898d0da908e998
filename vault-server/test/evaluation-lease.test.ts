import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withEvaluationLease } from '../src/storage/evaluation-lease.js';
import { migrate, readMigrations } from '../src/storage/migrations.js';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { migrationsDirectory } from '../src/storage/sql-directory.js';
import type { Database } from '../src/storage/database.js';
import { createPostgresDatabase, hasTestPostgres } from './helpers/databases.js';

/** Resolves when `open()` is called: a piece of work held in the middle of its transaction. */
function gate() {
	let open!: () => void;
	const opened = new Promise<void>((resolve) => (open = resolve));
	return { open, opened };
}

/**
 * The alert evaluator's lease between vault processes: each process has its own sessions, so two
 * pools on one PostgreSQL database stand for two processes.
 */
describe.runIf(hasTestPostgres('the alert evaluation lease checks'))(
	'the alert evaluation lease',
	() => {
		let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
		let first: Database;
		let second: Database;
		beforeAll(async () => {
			database = await createPostgresDatabase();
			first = openPostgresDatabase({ url: database.url, poolSize: 2 });
			second = openPostgresDatabase({ url: database.url, poolSize: 2 });
			await migrate(first, readMigrations(migrationsDirectory()));
		});
		afterAll(async () => {
			await first?.close();
			await second?.close();
			await database?.drop();
		});
		let held = gate();
		beforeEach(async () => {
			held = gate();
			await first.query(`UPDATE alert_evaluations SET last_run_at = '-infinity'`);
		});
		// a test that failed with the work still held must not leave its transaction open
		afterEach(() => held.open());

		it('lets one process evaluate while the other, asking meanwhile, is told no without waiting', async () => {
			const started = gate();
			const holder = withEvaluationLease(first, 0, async () => {
				started.open();
				await held.opened;
				return 'first';
			});
			await started.opened;
			// without the advisory lock this call would wait on the row the holder updated
			expect(await withEvaluationLease(second, 0, async () => 'second')).toBeUndefined();
			held.open();
			expect(await holder).toBe('first');
			expect(await withEvaluationLease(second, 0, async () => 'second')).toBe('second');
		});

		it('gives no second evaluation within the interval, from either process', async () => {
			const interval = 3_600_000;
			expect(await withEvaluationLease(first, interval, async () => 'ran')).toBe('ran');
			expect(await withEvaluationLease(second, interval, async () => 'ran')).toBeUndefined();
			expect(await withEvaluationLease(first, interval, async () => 'ran')).toBeUndefined();
			await first.query(`UPDATE alert_evaluations SET last_run_at = now() - interval '2 hours'`);
			expect(await withEvaluationLease(second, interval, async () => 'ran')).toBe('ran');
		});

		it('claims nothing when the work fails: the next process may evaluate at once', async () => {
			const failure = new Error('evaluation failed');
			await expect(
				withEvaluationLease(first, 3_600_000, async () => {
					throw failure;
				}),
			).rejects.toBe(failure);
			expect(await withEvaluationLease(second, 3_600_000, async () => 'ran')).toBe('ran');
		});
	},
);
