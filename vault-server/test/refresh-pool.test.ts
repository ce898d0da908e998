import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresDatabase, backends } from './helpers/databases.js';
import { startServe, stopChild, type ServeProcess } from './helpers/cli.js';
import { TestProvider } from './helpers/test-provider.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { ADMIN_TOKEN, INTERNAL_TOKEN, TEST_MASTER_KEY } from './helpers/vault-app.js';
import { admin, callVault } from './helpers/vault-http.js';

/** A write (with a body) goes with the admin token, a read with the read token. */
const call = (base: string, path: string, init: { method?: string; body?: unknown } = {}) =>
	callVault(base, path, init.body === undefined ? init : { ...init, headers: admin });

/** More due connections than the pool (DATABASE_POOL_SIZE, 10) has connections. */
const DUE = 12;
/** The provider's answer time: well beyond the 3 s a statement may wait for a pooled connection. */
const PROVIDER_DELAY_MS = 8000;

/**
 * Issue 13 item 12: a slow token endpoint and more due connections than the pool has connections.
 * The vault (a real `serve` process, pool of 10) must keep answering everything else.
 */
describe.each(backends())('a slow provider on %s', (backend) => {
	let provider: TestProvider;
	let vault: ServeProcess;
	let drop: (() => Promise<void>) | undefined;

	beforeAll(async () => {
		provider = await TestProvider.start();
		const database = backend === 'postgres' ? await createPostgresDatabase() : undefined;
		drop = database?.drop;
		vault = await startServe({
			...(database ? { DATABASE_URL: database.url } : {}),
			DATABASE_POOL_SIZE: '10',
			ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
			ADMIN_API_TOKEN: ADMIN_TOKEN,
			INTERNAL_API_TOKEN: INTERNAL_TOKEN,
			VAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'otobot-pool-')),
			PORT: '0',
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
			REFRESH_TIMEOUT_MS: '30000',
			RATE_LIMIT_MAX: '100000',
		});
		const services = [
			{
				name: 'crm',
				display_name: 'CRM',
				oauth_token_url: provider.tokenUrl,
				oauth_client_id: 'vault-app',
				oauth_client_secret: 'vault-app-secret',
			},
			{ name: 'keyed', display_name: 'Keyed', oauth_type: 'api_key' },
		];
		for (const body of services)
			expect((await call(vault.url, '/v1/services', { method: 'POST', body })).status).toBe(201);
		for (let index = 0; index < DUE; index += 1) {
			const id = `client-${index}`;
			await provider.allowRefreshToken(`rt-${id}`);
			await call(vault.url, '/v1/clients', { method: 'POST', body: { id, name: id } });
			const stored = await call(vault.url, `/v1/clients/${id}/connections/crm`, {
				method: 'PUT',
				body: { access_token: 'expired', refresh_token: `rt-${id}`, expires_in: 0 },
			});
			expect(stored.status).toBeLessThan(300);
		}
		await call(vault.url, '/v1/clients/client-0/connections/keyed', {
			method: 'PUT',
			body: { api_key: 'the-api-key' },
		});
	});
	afterAll(async () => {
		if (vault) await stopChild(vault.child);
		await provider?.stop();
		await drop?.();
	});

	it(`${DUE} refreshes at an 8 s token endpoint leave API-key fetches and /health answering 200`, async () => {
		await provider.control({ mode: 'slow', delayMs: PROVIDER_DELAY_MS });
		await provider.resetStats();
		const fetches = Array.from({ length: DUE }, (_unused, index) =>
			call(vault.url, `/v1/credentials/client-${index}/crm`),
		);
		// the provider holds the first refreshes: everything else runs meanwhile
		await vi.waitFor(
			async () => expect((await provider.stats()).tokenCalls).toBeGreaterThan(0),
			WAIT_BOUND,
		);
		const unrelated = await call(vault.url, '/v1/credentials/client-0/keyed');
		expect(unrelated.status).toBe(200);
		expect(unrelated.body.api_key).toBe('the-api-key');
		const health = await call(vault.url, '/health');
		expect(health).toMatchObject({ status: 200, body: { status: 'ok', database: 'ok' } });
		expect((await provider.stats()).tokenCalls).toBeLessThan(DUE);

		const answers = await Promise.all(fetches);
		expect(answers.map((answer) => answer.status)).toEqual(Array(DUE).fill(200));
		expect(answers.every((answer) => /^at-\d+-/.test(answer.body.access_token))).toBe(true);
		expect((await provider.stats()).grants).toEqual({ refresh_token: DUE });
	});
});
