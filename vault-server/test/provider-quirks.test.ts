import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { refreshDueConnections, DEFAULT_LOOP } from '../src/domain/refresh/refresh-loop.js';
import { backends } from './helpers/databases.js';
import { TestProvider } from './helpers/test-provider.js';
import {
	asAdmin,
	asInternal,
	startTestVault,
	type TestVault,
	addAcmeAndCrm,
} from './helpers/vault-app.js';

const MINUTE = 60_000;

/**
 * Token answers and stored expiries that are legal but odd: no `expires_in`, a provider whose
 * clock is minutes off, an `expires_at` already past when the connection is stored.
 */
describe.each(backends())('provider quirks on %s', (backend) => {
	let provider: TestProvider;
	let vault: TestVault;
	let seed = 0;
	const inject = (options: InjectOptions) => vault.app.inject(options);
	const fetchCredential = () => inject({ url: '/v1/credentials/acme/crm', headers: asInternal });
	const row = async () =>
		(
			await vault.database.db.query<{
				expires_at: Date | null;
				next_refresh_at: Date | null;
				status: string;
				refresh_failures: number;
			}>(`SELECT * FROM connections WHERE client_id = 'acme' AND service = 'crm'`)
		)[0]!;
	const connect = async (body: Record<string, unknown>) => {
		seed += 1;
		await provider.allowRefreshToken(`rt-quirk-${seed}`);
		const stored = await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/crm',
			headers: asAdmin,
			payload: { access_token: `at-quirk-${seed}`, refresh_token: `rt-quirk-${seed}`, ...body },
		});
		expect(stored.statusCode).toBeLessThan(300);
		return `at-quirk-${seed}`;
	};
	const setKeepalive = async (hours: number | null) => {
		const patched = await inject({
			method: 'PATCH',
			url: '/v1/services/crm',
			headers: asAdmin,
			payload: { keepalive_interval_hours: hours },
		});
		expect(patched.statusCode).toBe(200);
	};

	const patchService = async (payload: Record<string, unknown>) => {
		const patched = await inject({
			method: 'PATCH',
			url: '/v1/services/crm',
			headers: asAdmin,
			payload,
		});
		expect(patched.statusCode).toBe(200);
		return patched.json();
	};

	beforeAll(async () => {
		provider = await TestProvider.start();
		vault = await startTestVault(backend, {
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
		});
		await addAcmeAndCrm(vault, provider.tokenUrl);
	});
	afterAll(async () => {
		await vault?.close();
		await provider?.stop();
	});
	beforeEach(async () => {
		await provider.control({ mode: 'ok', expiresIn: 3600, clockOffsetSeconds: 0, rotate: true });
		await provider.resetStats();
		await setKeepalive(null);
		await patchService({ keepalive_interval_minutes: null, default_token_lifetime_seconds: null });
	});

	it('a token answer without expires_in is stored with no expiry and not renewed in a loop', async () => {
		await connect({ expires_in: 0 });
		await provider.control({ expiresIn: null });
		const first = await fetchCredential();
		expect(first.statusCode).toBe(200);
		expect(first.json()).toMatchObject({ expires_at: null });
		expect(await row()).toMatchObject({
			expires_at: null,
			next_refresh_at: null,
			status: 'active',
			refresh_failures: 0,
		});
		// nothing says it expires, so fetches serve it and the background pass leaves it alone
		expect((await fetchCredential()).json().access_token).toBe(first.json().access_token);
		const pass = () =>
			refreshDueConnections(vault.database.db, vault.app.refresher, DEFAULT_LOOP, vault.app.log);
		expect(await pass()).toBe(0);
		expect((await provider.stats()).tokenCalls).toBe(1);
	});

	it('without expires_in a keep-alive service renews on its interval instead', async () => {
		await setKeepalive(1);
		await connect({ expires_in: 0 });
		await provider.control({ expiresIn: null });
		const before = Date.now();
		expect((await fetchCredential()).statusCode).toBe(200);
		const stored = await row();
		expect(stored.expires_at).toBeNull();
		expect(stored.next_refresh_at!.getTime()).toBeGreaterThanOrEqual(before + 60 * MINUTE);
		expect(stored.next_refresh_at!.getTime()).toBeLessThanOrEqual(Date.now() + 60 * MINUTE);
	});

	it('keep-alive in minutes: a 30-minute org is renewed every 25 minutes', async () => {
		expect(await patchService({ keepalive_interval_minutes: 25 })).toMatchObject({
			keepalive_interval_minutes: 25,
			keepalive_interval_hours: 25 / 60,
		});
		await connect({ expires_in: 0 });
		await provider.control({ expiresIn: null });
		const before = Date.now();
		expect((await fetchCredential()).statusCode).toBe(200);
		const stored = await row();
		expect(stored.next_refresh_at!.getTime()).toBeGreaterThanOrEqual(before + 25 * MINUTE);
		expect(stored.next_refresh_at!.getTime()).toBeLessThanOrEqual(Date.now() + 25 * MINUTE);
		// the interval in hours is still accepted, stored as minutes; not both at once
		expect(await patchService({ keepalive_interval_hours: 2 })).toMatchObject({
			keepalive_interval_minutes: 120,
			keepalive_interval_hours: 2,
		});
		const both = await inject({
			method: 'PATCH',
			url: '/v1/services/crm',
			headers: asAdmin,
			payload: { keepalive_interval_hours: 1, keepalive_interval_minutes: 30 },
		});
		expect(both.statusCode).toBe(400);
		expect(both.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
	});

	it("without expires_in the service's default token lifetime gives the token an expiry", async () => {
		await patchService({ default_token_lifetime_seconds: 1800 });
		await connect({ expires_in: 0 });
		await provider.control({ expiresIn: null });
		const before = Date.now();
		const first = await fetchCredential();
		expect(first.statusCode).toBe(200);
		const stored = await row();
		expect(stored.expires_at!.getTime()).toBeGreaterThanOrEqual(before + 30 * MINUTE);
		expect(stored.expires_at!.getTime()).toBeLessThanOrEqual(Date.now() + 30 * MINUTE);
		// renewed ahead of that expiry (refresh lead 10 min), and served until then
		expect(stored.next_refresh_at!.getTime()).toBe(stored.expires_at!.getTime() - 10 * MINUTE);
		expect((await fetchCredential()).json().access_token).toBe(first.json().access_token);
		expect((await provider.stats()).tokenCalls).toBe(1);
	});

	it.each([-7, 7])(
		'a provider clock %i minutes off does not move the expiry (expires_in is relative)',
		async (minutes) => {
			await connect({ expires_in: 0 });
			await provider.control({ clockOffsetSeconds: minutes * 60, expiresIn: 600 });
			const before = Date.now();
			const fetched = await fetchCredential();
			const after = Date.now();
			expect(fetched.statusCode).toBe(200);
			const expiresAt = new Date(fetched.json().expires_at).getTime();
			expect(expiresAt).toBeGreaterThanOrEqual(before + 10 * MINUTE - 1000);
			expect(expiresAt).toBeLessThanOrEqual(after + 10 * MINUTE + 1000);
			// served as fresh afterwards: no second refresh, whatever the provider's Date header says
			expect((await fetchCredential()).json().access_token).toBe(fetched.json().access_token);
			expect((await provider.stats()).tokenCalls).toBe(1);
		},
	);

	it('a connection stored with an expires_at already past is refreshed by its first fetch', async () => {
		const stale = await connect({ expires_at: new Date(Date.now() - 60 * MINUTE).toISOString() });
		const stored = await row();
		expect(stored.next_refresh_at!.getTime()).toBeLessThanOrEqual(Date.now());
		const fetched = await fetchCredential();
		expect(fetched.statusCode).toBe(200);
		expect(fetched.json().access_token).not.toBe(stale);
		expect(new Date(fetched.json().expires_at).getTime()).toBeGreaterThan(Date.now() + 50 * MINUTE);
		expect((await provider.stats()).tokenCalls).toBe(1);
		expect(await row()).toMatchObject({ status: 'active', refresh_failures: 0 });
	});
});
