import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { patchPostgresDriver } from '../build/postgres-driver-patch.js';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { proxiedUrl, slowProxy } from './helpers/slow-proxy.js';

const driverFile = () =>
	join(dirname(createRequire(import.meta.url).resolve('postgres')), '../../src/connection.js');

describe('the postgres.js patch (build/postgres-driver-patch.ts)', () => {
	it('applies to the installed driver', () => {
		const patched = patchPostgresDriver(readFileSync(driverFile(), 'utf8'));
		expect(patched).toContain(
			"if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED'",
		);
		// terminate(), closed() and nextWrite() itself
		expect(
			patched.match(/clearImmediate\(nextWriteTimer\)\n {4}chunk = nextWriteTimer = null/g),
		).toHaveLength(3);
		expect(patched).toContain('skipped && onopen(connection)');
	});

	it('refuses a driver whose code changed, so an upgrade is reviewed', () => {
		expect(() => patchPostgresDriver('function nextWrite(fn) {}')).toThrow(
			/postgres\.js connection\.js changed/,
		);
	});
});

describe.runIf(Boolean(process.env.TEST_DATABASE_URL))(
	'a statement given up while its connection opens',
	() => {
		let proxy: Server;
		afterAll(() => proxy?.close());

		it('leaves the connection to the pool: the next statement runs on it', async () => {
			const target = process.env.TEST_DATABASE_URL!;
			proxy = await slowProxy(target, 800);
			const url = proxiedUrl(proxy, target);
			const db = openPostgresDatabase({ url, poolSize: 1, connectionWaitMs: 300 });
			try {
				await expect(db.query('SELECT 1')).rejects.toMatchObject({
					code: 'CONNECTION_WAIT_TIMEOUT',
				});
				await new Promise((resolve) => setTimeout(resolve, 1500));
				// without the patch the pool's one connection opened for nobody: this waited in vain
				expect(await db.query<{ n: number }>('SELECT 2 AS n')).toEqual([{ n: 2 }]);
			} finally {
				await db.close();
			}
		});
	},
);
