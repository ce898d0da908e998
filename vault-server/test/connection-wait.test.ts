import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { hasTestPostgres } from './helpers/databases.js';
import { SlowProxy } from './helpers/slow-proxy.js';

/** The bound on waiting for a connection (src/storage/connection-wait.ts), on a slow-to-connect PostgreSQL. */
describe.runIf(hasTestPostgres('the connection-wait bound test'))(
	'waiting for a database connection',
	() => {
		let proxy: SlowProxy;
		afterAll(() => proxy?.close());

		it('gives a transaction up after the bound, and a transaction given up never runs later', async () => {
			// the proxy holds the connection until released: only the bound can end the wait
			proxy = await SlowProxy.start(process.env.TEST_DATABASE_URL!);
			const db = openPostgresDatabase({ url: proxy.url, poolSize: 1, connectionWaitMs: 300 });
			try {
				let ran = false;
				await expect(
					db.transaction(async (tx) => {
						ran = true;
						return tx.query('SELECT 1');
					}),
				).rejects.toMatchObject({ code: 'CONNECTION_WAIT_TIMEOUT' });
				// given up while the connection was still held, before PostgreSQL ever saw it
				expect(proxy.forwarded).toBe(0);

				proxy.release();
				await proxy.connectionIdle();
				// the connection it waited for serves the next transaction; on one connection, first
				// in first out, so the given-up transaction would have run before this one
				expect(await db.transaction((tx) => tx.query<{ n: number }>('SELECT 3 AS n'))).toEqual([
					{ n: 3 },
				]);
				expect(ran).toBe(false);
				expect(proxy.forwarded).toBe(1);
			} finally {
				await db.close();
			}
		});
	},
);
