import type { Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { hasTestPostgres } from './helpers/databases.js';
import { proxiedUrl, slowProxy } from './helpers/slow-proxy.js';

/** The bound on waiting for a connection (src/storage/connection-wait.ts), on a slow-to-connect PostgreSQL. */
describe.runIf(hasTestPostgres('the connection-wait bound test'))(
	'waiting for a database connection',
	() => {
		let proxy: Server;
		afterAll(() => proxy?.close());

		it('gives a transaction up after the bound, and a transaction given up never runs later', async () => {
			proxy = await slowProxy(process.env.TEST_DATABASE_URL!, 800);
			const db = openPostgresDatabase({
				url: proxiedUrl(proxy, process.env.TEST_DATABASE_URL!),
				poolSize: 1,
				connectionWaitMs: 300,
			});
			try {
				let ran = false;
				const started = Date.now();
				await expect(
					db.transaction(async (tx) => {
						ran = true;
						return tx.query('SELECT 1');
					}),
				).rejects.toMatchObject({ code: 'CONNECTION_WAIT_TIMEOUT' });
				expect(Date.now() - started).toBeLessThan(800);
				await new Promise((resolve) => setTimeout(resolve, 1500));
				expect(ran).toBe(false);
				// the connection it waited for serves the next transaction
				expect(await db.transaction((tx) => tx.query<{ n: number }>('SELECT 3 AS n'))).toEqual([
					{ n: 3 },
				]);
			} finally {
				await db.close();
			}
		});
	},
);
