import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InjectOptions } from 'fastify';
import { backends } from './helpers/databases.js';
import { TestProvider } from './helpers/test-provider.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import {
	addAcmeAndCrm,
	asAdmin,
	asInternal,
	startTestVault,
	type TestVault,
} from './helpers/vault-app.js';

/**
 * Issue 13 items 10 and 12: a read token cannot make the vault hammer a provider (manual refreshes
 * are single-flight and at most one per MANUAL_REFRESH_INTERVAL_SECONDS), and refreshes callers
 * wait on are bounded (REFRESH_CONCURRENCY, REFRESH_QUEUE_LIMIT).
 */
describe.each(backends())('manual refreshes on %s', (backend) => {
	let provider: TestProvider;
	let vault: TestVault;
	const inject = (options: InjectOptions) => vault.app.inject(options);
	const refresh = () =>
		inject({ method: 'POST', url: '/v1/credentials/acme/crm/refresh', headers: asInternal });

	beforeAll(async () => {
		provider = await TestProvider.start();
		vault = await startTestVault(backend, {
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
			RATE_LIMIT_MAX: '100000',
			REFRESH_TIMEOUT_MS: '3000',
			REFRESH_CONCURRENCY: '1',
			REFRESH_QUEUE_LIMIT: '0',
		});
		await addAcmeAndCrm(vault, provider.tokenUrl);
	});
	afterAll(async () => {
		await vault?.close();
		await provider?.stop();
	});

	it('200 concurrent and sequential manual refreshes make one provider grant', async () => {
		await provider.allowRefreshToken('rt-manual');
		const stored = await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/crm',
			headers: asAdmin,
			payload: { access_token: 'at-stored', refresh_token: 'rt-manual', expires_in: 3600 },
		});
		expect(stored.statusCode).toBeLessThan(300);
		await provider.control({ mode: 'ok', rotate: true });
		await provider.resetStats();

		const concurrent = await Promise.all(Array.from({ length: 100 }, refresh));
		expect(concurrent.map((answer) => answer.statusCode)).toEqual(Array(100).fill(200));
		const fresh = concurrent[0]!.json().access_token as string;
		expect(fresh).toMatch(/^at-\d+-/);
		expect(concurrent.every((answer) => answer.json().access_token === fresh)).toBe(true);
		expect(concurrent[0]!.json().refreshed).toBe(true);

		for (let index = 0; index < 100; index += 1) {
			const answer = await refresh();
			expect(answer.statusCode).toBe(200);
			expect(answer.json()).toMatchObject({ access_token: fresh, refreshed: false });
		}
		expect((await provider.stats()).grants).toEqual({ refresh_token: 1 });
	});

	it('a fetch that finds every refresh slot taken and the line full answers 503 REFRESH_BUSY with Retry-After', async () => {
		for (const id of ['slot-a', 'slot-b']) {
			await provider.allowRefreshToken(`rt-${id}`);
			await inject({
				method: 'POST',
				url: '/v1/clients',
				headers: asAdmin,
				payload: { id, name: id },
			});
			const stored = await inject({
				method: 'PUT',
				url: `/v1/clients/${id}/connections/crm`,
				headers: asAdmin,
				payload: { access_token: 'expired', refresh_token: `rt-${id}`, expires_in: 0 },
			});
			expect(stored.statusCode).toBeLessThan(300);
		}
		await provider.control({ mode: 'hang' });
		await provider.resetStats();
		// REFRESH_CONCURRENCY 1: the first fetch's refresh holds the only slot while the provider hangs
		const first = inject({ url: '/v1/credentials/slot-a/crm', headers: asInternal });
		await vi.waitFor(async () => expect((await provider.stats()).tokenCalls).toBe(1), WAIT_BOUND);
		const refused = await inject({ url: '/v1/credentials/slot-b/crm', headers: asInternal });
		expect(refused.statusCode).toBe(503);
		expect(refused.json()).toMatchObject({ code: 'REFRESH_BUSY' });
		expect(refused.headers['retry-after']).toBe('5');
		expect((await provider.stats()).tokenCalls).toBe(1);
		await provider.control({ mode: 'ok' });
		// the hung call ends at REFRESH_TIMEOUT_MS; its fetch answers without a stored token
		expect((await first).statusCode).toBe(503);
		const after = await inject({ url: '/v1/credentials/slot-b/crm', headers: asInternal });
		expect(after.statusCode).toBe(200);
	});
});
