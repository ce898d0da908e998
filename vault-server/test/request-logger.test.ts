import { afterEach, describe, expect, it } from 'vitest';
import { asInternal, startTestVault, type TestVault } from './helpers/vault-app.js';

/** Counts the child loggers the app's logger makes from now on. */
function countChildren(vault: TestVault) {
	const log = vault.app.log;
	const child = log.child.bind(log);
	const made = { count: 0 };
	log.child = (...args: Parameters<typeof child>) => {
		made.count += 1;
		return child(...args);
	};
	return made;
}

describe('the per-request logger', () => {
	let vault: TestVault | undefined;
	afterEach(async () => vault?.close());

	it('is not made for requests that do not log', async () => {
		vault = await startTestVault('pglite');
		const made = countChildren(vault);
		for (let i = 0; i < 5; i += 1) {
			expect(
				(await vault.app.inject({ url: '/v1/credentials/nobody/google', headers: asInternal }))
					.statusCode,
			).toBe(404);
			expect((await vault.app.inject({ url: '/health' })).statusCode).toBe(200);
		}
		expect(made.count).toBe(0);
	});

	it('is made on first use, and its lines carry the request id', async () => {
		vault = await startTestVault('pglite', { LOG_REQUESTS: 'true' });
		const made = countChildren(vault);
		const response = await vault.app.inject({
			url: '/v1/credentials/nobody/google',
			headers: asInternal,
		});
		expect(response.statusCode).toBe(404);
		expect(made.count).toBe(1);
		const lines = vault.logs
			.text()
			.trim()
			.split('\n')
			.map((line) => JSON.parse(line) as Record<string, unknown>);
		const requestLines = lines.filter(
			(line) => line.msg === 'incoming request' || line.msg === 'request completed',
		);
		expect(requestLines).toHaveLength(2);
		expect(new Set(requestLines.map((line) => line.reqId)).size).toBe(1);
		expect(requestLines[0]!.reqId).toMatch(/^[0-9a-f-]{36}$/);
	});
});
