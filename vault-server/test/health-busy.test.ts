import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTestPostgres } from './helpers/databases.js';
import { startTestVault, type TestVault } from './helpers/vault-app.js';

/**
 * Issue 13 item 12: `/health` tells a pool whose every connection is taken from a database that
 * does not answer, so a burst of slow work does not make a load balancer take the vault out.
 */
describe.runIf(hasTestPostgres())('/health with every pooled connection taken', () => {
	let vault: TestVault;

	beforeAll(async () => {
		vault = await startTestVault('postgres');
	});
	afterAll(async () => {
		await vault?.close();
	});

	it('answers 200 status busy while the database answers a connection of its own', async () => {
		const db = vault.database.db;
		const { size } = db.poolUsage();
		let release!: () => void;
		const released = new Promise<void>((resolve) => (release = resolve));
		let started = 0;
		let allStarted!: () => void;
		const taken = new Promise<void>((resolve) => (allStarted = resolve));
		const holders = Array.from({ length: size }, () =>
			db.transaction(async (tx) => {
				await tx.query('SELECT 1');
				if (++started === size) allStarted();
				await released;
			}),
		);
		await taken;
		try {
			const health = await vault.app.inject({ url: '/health' });
			expect(health.statusCode).toBe(200);
			expect(health.json()).toMatchObject({ status: 'busy', database: 'ok' });
		} finally {
			release();
			await Promise.all(holders);
		}
		expect((await vault.app.inject({ url: '/health' })).json()).toMatchObject({ status: 'ok' });
	});
});
