import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InjectOptions } from 'fastify';
import { refreshDueConnections, DEFAULT_LOOP } from '../src/domain/refresh/refresh-loop.js';
import { backends } from './helpers/databases.js';
import { TestProvider } from './helpers/test-provider.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import {
	asAdmin,
	asInternal,
	expectRequestLines,
	startTestVault,
	VERBOSE_LOGS,
	type TestVault,
} from './helpers/vault-app.js';

const CLIENT_SECRET = 'vault-app-secret';
/**
 * The vault's bound on one token request: the 'hang' case waits it out, every other case must
 * finish within it on a busy machine (800 ms timed ordinary refreshes out under load).
 */
const REFRESH_TIMEOUT_MS = 10_000;

describe.each(backends())('OAuth2 refresh on %s', (backend) => {
	let provider: TestProvider;
	let vault: TestVault;
	let seed = 0;
	const issued = new Set<string>();
	const inject = async (options: InjectOptions) => {
		const response = await vault.app.inject(options);
		const body = response.body;
		for (const match of body.matchAll(/"(?:access_token|refresh_token)":"([^"]+)"/g))
			issued.add(match[1]!);
		return response;
	};
	const connection = async (service = 'crm') =>
		(
			await vault.database.db.query<Record<string, any>>(
				`SELECT * FROM connections WHERE client_id = 'acme' AND service = $1`,
				[service],
			)
		)[0]!;
	/** Stores a connection whose refresh token the provider accepts. */
	const connect = async (body: Record<string, unknown>, service = 'crm') => {
		seed += 1;
		const refreshToken = `rt-seed-${seed}`;
		await provider.allowRefreshToken(refreshToken);
		issued.add(refreshToken);
		const response = await inject({
			method: 'PUT',
			url: `/v1/clients/acme/connections/${service}`,
			headers: asAdmin,
			payload: { access_token: `at-seed-${seed}`, refresh_token: refreshToken, ...body },
		});
		expect(response.statusCode).toBeLessThan(300);
		return refreshToken;
	};
	const pass = () =>
		refreshDueConnections(vault.database.db, vault.app.refresher, DEFAULT_LOOP, vault.app.log);

	beforeAll(async () => {
		provider = await TestProvider.start();
		vault = await startTestVault(backend, {
			...VERBOSE_LOGS,
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
			REFRESH_TIMEOUT_MS: String(REFRESH_TIMEOUT_MS),
		});
		await inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'acme', name: 'Acme' },
		});
		for (const [name, type, method] of [
			['crm', 'oauth2', 'client_secret_basic'],
			['machine', 'oauth2_client_credentials', 'client_secret_post'],
		]) {
			const created = await inject({
				method: 'POST',
				url: '/v1/services',
				headers: asAdmin,
				payload: {
					name,
					display_name: name,
					oauth_type: type,
					oauth_token_url: provider.tokenUrl,
					oauth_client_id: 'vault-app',
					oauth_client_secret: CLIENT_SECRET,
					token_auth_method: method,
				},
			});
			expect(created.statusCode).toBe(201);
		}
	});
	afterAll(async () => {
		await vault?.close();
		await provider?.stop();
	});
	beforeEach(async () => {
		await provider.control({
			mode: 'ok',
			rotate: false,
			expiresIn: 3600,
			delayMs: 0,
			omitRefreshToken: false,
		});
		await provider.resetStats();
	});

	it('refreshes on fetch when the token expires within the skew, then reuses the new token', async () => {
		await connect({ expires_in: 60 });
		const first = (await inject({ url: '/v1/credentials/acme/crm', headers: asInternal })).json();
		expect(first.access_token).toMatch(/^at-\d+-/);
		expect(new Date(first.expires_at).getTime()).toBeGreaterThan(Date.now() + 3000_000);
		const second = (await inject({ url: '/v1/credentials/acme/crm', headers: asInternal })).json();
		expect(second.access_token).toBe(first.access_token);
		expect((await provider.stats()).tokenCalls).toBe(1);
		const row = await connection();
		expect(row.refresh_failures).toBe(0);
		expect(row.last_refreshed_at).not.toBeNull();
	});

	it('answers the new token right after a background refresh: the refresher drops the cached row it changed', async () => {
		await connect({ expires_in: 3600 });
		const fetchToken = async () =>
			(await inject({ url: '/v1/credentials/acme/crm', headers: asInternal })).json().access_token;
		await vault.database.db.query(
			`UPDATE connections SET next_refresh_at = now() - interval '1 second' WHERE client_id = 'acme' AND service = 'crm'`,
		);
		await vault.changesSeen();
		const before = await fetchToken();
		expect(vault.app.fetchCache.get('acme/crm')).toBeDefined();
		expect(await pass()).toBe(1);
		const after = await fetchToken();
		expect(after).not.toBe(before);
	});

	it('keeps a rotated refresh token, and keeps the old one when the answer has none', async () => {
		await provider.control({ rotate: true });
		const old = await connect({ expires_in: 10 });
		await inject({ url: '/v1/credentials/acme/crm', headers: asInternal });
		const rotated = (
			await inject({ url: '/v1/credentials/acme/crm?include_refresh_token=true', headers: asAdmin })
		).json().refresh_token;
		expect(rotated).toMatch(/^rt-\d+-/);
		expect(rotated).not.toBe(old);

		await provider.control({ rotate: false });
		const manual = await inject({
			method: 'POST',
			url: '/v1/credentials/acme/crm/refresh',
			headers: asInternal,
		});
		expect(manual.statusCode).toBe(200);
		const kept = (
			await inject({ url: '/v1/credentials/acme/crm?include_refresh_token=true', headers: asAdmin })
		).json().refresh_token;
		expect(kept).toBe(rotated);
	});

	it('invalid_grant marks the connection needs_reauth and fetches answer 409 with how to reconnect', async () => {
		await connect({ expires_in: 10 });
		await provider.control({ mode: 'invalid_grant' });
		const response = await inject({ url: '/v1/credentials/acme/crm', headers: asInternal });
		expect(response.statusCode).toBe(409);
		expect(response.json()).toMatchObject({ code: 'CONNECTION_NEEDS_REAUTH' });
		expect(response.json().reconnect_hint).toContain('/v1/connect-links');
		expect((await connection()).status).toBe('needs_reauth');
		expect((await connection()).last_error).toBe('invalid_grant');
		await inject({ url: '/v1/credentials/acme/crm', headers: asInternal });
		expect((await provider.stats()).tokenCalls).toBe(1);
	});

	it('an expired token without a refresh token needs the client to reconnect', async () => {
		await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/crm',
			headers: asAdmin,
			payload: { access_token: 'lonely', expires_in: 0 },
		});
		const response = await inject({ url: '/v1/credentials/acme/crm', headers: asInternal });
		expect(response.statusCode).toBe(409);
		expect(response.json().code).toBe('CONNECTION_NEEDS_REAUTH');
		expect((await provider.stats()).tokenCalls).toBe(0);
	});

	it('backs off exponentially on transient errors, serves a valid token meanwhile, and resets on success', async () => {
		await connect({ expires_in: 3600 });
		await vault.database.db.query(
			`UPDATE connections SET next_refresh_at = now() WHERE client_id = 'acme' AND service = 'crm'`,
		);
		await provider.control({ mode: 'error500' });
		await pass();
		const once = await connection();
		expect(once.refresh_failures).toBe(1);
		expect(once.last_error).toBe('HTTP 500');
		const firstDelay = once.next_refresh_at.getTime() - Date.now();
		expect(firstDelay).toBeGreaterThan(20_000);

		await vault.database.db.query(
			`UPDATE connections SET next_refresh_at = now() WHERE client_id = 'acme' AND service = 'crm'`,
		);
		await pass();
		const twice = await connection();
		expect(twice.refresh_failures).toBe(2);
		expect(twice.next_refresh_at.getTime() - Date.now()).toBeGreaterThan(firstDelay * 1.2);

		const valid = await inject({ url: '/v1/credentials/acme/crm', headers: asInternal });
		expect(valid.statusCode).toBe(200);
		await vault.database.db.query(
			`UPDATE connections SET expires_at = now() - interval '1 minute' WHERE client_id = 'acme' AND service = 'crm'`,
		);
		await vault.changesSeen();
		const calls = (await provider.stats()).tokenCalls;
		const expired = await inject({ url: '/v1/credentials/acme/crm', headers: asInternal });
		expect(expired.statusCode).toBe(503);
		expect(expired.json().code).toBe('REFRESH_FAILED');
		expect((await provider.stats()).tokenCalls).toBe(calls);

		await provider.control({ mode: 'ok' });
		await vault.database.db.query(
			`UPDATE connections SET next_refresh_at = now() WHERE client_id = 'acme' AND service = 'crm'`,
		);
		await pass();
		const healed = await connection();
		expect(healed.refresh_failures).toBe(0);
		expect(healed.last_error).toBeNull();
		expect(
			(await inject({ url: '/v1/credentials/acme/crm', headers: asInternal })).statusCode,
		).toBe(200);
	});

	it.each([
		['hang', `timeout after ${REFRESH_TIMEOUT_MS} ms`],
		['reset', 'network error'],
		['garbage', 'unreadable answer (HTTP 200)'],
		['error200', 'internal_error (HTTP 200)'],
		['error429', 'rate limited (HTTP 429)'],
	] as const)(
		'a provider that answers %s leaves a clear, bounded failure',
		async (mode, reason) => {
			await connect({ expires_in: 0 });
			await provider.control({ mode });
			// bounded by REFRESH_TIMEOUT_MS: a hang would end the test at its own timeout, and the
			// answer names the bound that ended it
			const response = await inject({ url: '/v1/credentials/acme/crm', headers: asInternal });
			expect(response.statusCode).toBe(503);
			expect(response.json().message).toContain(reason);
			expect((await connection()).last_error).toBe(reason);
			expect((await connection()).status).toBe('active');
		},
	);

	it('the background pass refreshes what is due, before expiry, and nothing else', async () => {
		await connect({ expires_in: 3600 });
		expect(await pass()).toBe(0);
		await vault.database.db.query(
			`UPDATE connections SET next_refresh_at = now() - interval '1 second' WHERE client_id = 'acme' AND service = 'crm'`,
		);
		expect(await pass()).toBe(1);
		const row = await connection();
		expect(row.last_refreshed_at).not.toBeNull();
		expect(row.next_refresh_at.getTime()).toBeGreaterThan(Date.now() + 2_000_000);
		expect((await provider.stats()).grants.refresh_token).toBe(1);
	});

	it('fetches a client-credentials token once and reuses it until it expires', async () => {
		await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/machine',
			headers: asAdmin,
			payload: {},
		});
		const first = (
			await inject({ url: '/v1/credentials/acme/machine', headers: asInternal })
		).json();
		const second = (
			await inject({ url: '/v1/credentials/acme/machine', headers: asInternal })
		).json();
		expect(first.access_token).toMatch(/^at-/);
		expect(second.access_token).toBe(first.access_token);
		expect((await provider.stats()).grants.client_credentials).toBe(1);
	});

	it('100 concurrent fetches of an expired token share one provider call (refresh tokens die after one use)', async () => {
		await provider.control({ rotate: true, mode: 'slow', delayMs: 300 });
		await connect({ expires_in: 1 });
		const answers = await Promise.all(
			Array.from({ length: 100 }, () =>
				inject({ url: '/v1/credentials/acme/crm', headers: asInternal }),
			),
		);
		expect(answers.map((a) => a.statusCode)).toEqual(Array(100).fill(200));
		expect(new Set(answers.map((a) => a.json().access_token)).size).toBe(1);
		expect((await provider.stats()).tokenCalls).toBe(1);
		expect((await connection()).status).toBe('active');
	});

	it('never logs or audits a token, refresh token or client secret', async () => {
		const audit = JSON.stringify(await vault.database.db.query('SELECT * FROM audit_log'));
		const logs = vault.logs.text();
		expect(issued.size).toBeGreaterThan(10);
		expectRequestLines(logs);
		for (const secret of [...issued, CLIENT_SECRET]) {
			expect(logs).not.toContain(secret);
			expect(audit).not.toContain(secret);
		}
		expect(audit).toContain('connection.refresh');
	});
});

describe('the background loop inside serve', () => {
	it('refreshes a due connection without any fetch', async () => {
		const provider = await TestProvider.start();
		const vault = await startTestVault('pglite', {
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'true',
			REFRESHER_INTERVAL_SECONDS: '1',
		});
		try {
			await provider.allowRefreshToken('rt-loop');
			await vault.app.inject({
				method: 'POST',
				url: '/v1/clients',
				headers: asAdmin,
				payload: { id: 'acme', name: 'Acme' },
			});
			await vault.app.inject({
				method: 'POST',
				url: '/v1/services',
				headers: asAdmin,
				payload: {
					name: 'crm',
					display_name: 'CRM',
					oauth_token_url: provider.tokenUrl,
					oauth_client_id: 'vault-app',
					oauth_client_secret: CLIENT_SECRET,
				},
			});
			await vault.app.inject({
				method: 'PUT',
				url: '/v1/clients/acme/connections/crm',
				headers: asAdmin,
				payload: { access_token: 'old', refresh_token: 'rt-loop', expires_in: 30 },
			});
			await vault.database.db.query(`UPDATE connections SET next_refresh_at = now()`);
			await vi.waitFor(async () => expect((await provider.stats()).tokenCalls).toBe(1), WAIT_BOUND);
			await vi.waitFor(async () => {
				const [row] = await vault.database.db.query<{ last_refreshed_at: Date | null }>(
					'SELECT last_refreshed_at FROM connections',
				);
				expect(row!.last_refreshed_at).not.toBeNull();
			}, WAIT_BOUND);
		} finally {
			await vault.close();
			await provider.stop();
		}
	});
});
