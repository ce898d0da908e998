import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { backends } from './helpers/databases.js';
import { TestProvider } from './helpers/test-provider.js';
import {
	addAcmeAndCrm,
	asAdmin,
	asInternal,
	startTestVault,
	type TestVault,
} from './helpers/vault-app.js';

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Issue 16 §3: an API answered 401 to a token; the caller reports the token's SHA-256 and the
 * vault refreshes exactly when the stored token is still that one, once per refused token, even
 * within MANUAL_REFRESH_INTERVAL_SECONDS; else it answers the newer token it has.
 */
describe.each(backends())('compare-and-refresh on %s', (backend) => {
	let provider: TestProvider;
	let vault: TestVault;
	const inject = (options: InjectOptions) => vault.app.inject(options);
	const refreshIf = (token: string) =>
		inject({
			method: 'POST',
			url: '/v1/credentials/acme/crm/refresh',
			headers: asInternal,
			payload: { if_access_token_sha256: sha256(token) },
		});
	const grants = async () => (await provider.stats()).grants.refresh_token ?? 0;
	/** The newest audit row of a refresh request, and the whole answer it came in (for leaks). */
	const lastRefreshAudit = async () => {
		const audit = await inject({
			url: '/v1/audit?client_id=acme&service=crm&limit=50',
			headers: asAdmin,
		});
		const entries = audit.json().entries as { action: string }[];
		return { entry: entries.find((row) => row.action === 'credential.refresh'), text: audit.body };
	};

	beforeAll(async () => {
		provider = await TestProvider.start();
		vault = await startTestVault(backend, {
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
			RATE_LIMIT_MAX: '100000',
			MANUAL_REFRESH_INTERVAL_SECONDS: '3600',
		});
		await addAcmeAndCrm(vault, provider.tokenUrl);
		await provider.allowRefreshToken('rt-compare');
		// a provider whose answers carry no expires_in: by the vault's clock the token never expires
		await provider.control({ mode: 'ok', rotate: true, expiresIn: null });
		const stored = await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/crm',
			headers: asAdmin,
			payload: { access_token: 'at-refused', refresh_token: 'rt-compare' },
		});
		expect(stored.statusCode).toBeLessThan(300);
		await provider.resetStats();
	});
	afterAll(async () => {
		await vault?.close();
		await provider?.stop();
	});

	let current = 'at-refused';

	it('(a) the stored token is the refused one: one provider call, a new token', async () => {
		const answer = await refreshIf('at-refused');
		expect(answer.statusCode).toBe(200);
		expect(answer.json()).toMatchObject({ refreshed: true });
		current = answer.json().access_token as string;
		expect(current).toMatch(/^at-\d+-/);
		expect(await grants()).toBe(1);
		const { entry, text } = await lastRefreshAudit();
		expect(entry).toMatchObject({ details: { compare: true, matched: true } });
		expect(text).not.toContain(sha256('at-refused'));
	});

	it('(b) the refused token is an older one: no provider call, the stored newer token', async () => {
		const answer = await refreshIf('at-refused');
		expect(answer.statusCode).toBe(200);
		expect(answer.json()).toMatchObject({ access_token: current, refreshed: false });
		expect(await grants()).toBe(1);
		expect((await lastRefreshAudit()).entry).toMatchObject({
			details: { compare: true, matched: false },
		});
	});

	it('(d) within the manual-refresh interval a plain refresh waits, a matching hash still refreshes once', async () => {
		const plain = await inject({
			method: 'POST',
			url: '/v1/credentials/acme/crm/refresh',
			headers: asInternal,
		});
		expect(plain.json()).toMatchObject({ access_token: current, refreshed: false });
		expect(await grants()).toBe(1);
		const answer = await refreshIf(current);
		expect(answer.json()).toMatchObject({ refreshed: true });
		expect(answer.json().access_token).not.toBe(current);
		current = answer.json().access_token as string;
		expect(await grants()).toBe(2);
	});

	it('(c) 20 concurrent callers reporting the same refused token make one provider call', async () => {
		const answers = await Promise.all(Array.from({ length: 20 }, () => refreshIf(current)));
		expect(answers.map((answer) => answer.statusCode)).toEqual(Array(20).fill(200));
		const fresh = answers[0]!.json().access_token as string;
		expect(fresh).not.toBe(current);
		expect(answers.every((answer) => answer.json().access_token === fresh)).toBe(true);
		expect(await grants()).toBe(3);
	});

	it('a connection the vault cannot renew answers its newer key, and 422 when the refused one is stored', async () => {
		await inject({
			method: 'POST',
			url: '/v1/services',
			headers: asAdmin,
			payload: { name: 'keyed', display_name: 'Keyed', oauth_type: 'api_key' },
		});
		await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/keyed',
			headers: asAdmin,
			payload: { api_key: 'key-new' },
		});
		const ask = (key: string) =>
			inject({
				method: 'POST',
				url: '/v1/credentials/acme/keyed/refresh',
				headers: asInternal,
				payload: { if_access_token_sha256: sha256(key) },
			});
		const older = await ask('key-old');
		expect(older.statusCode).toBe(200);
		expect(older.json()).toMatchObject({ api_key: 'key-new', refreshed: false });
		const same = await ask('key-new');
		expect(same.statusCode).toBe(422);
		expect(same.json()).toMatchObject({ code: 'CREDENTIAL_NOT_ALLOWED' });
		expect(same.json().message).toMatch(/is the one that was refused/);
		expect(await grants()).toBe(3);
	});

	it.each([
		['not hex', { if_access_token_sha256: 'z'.repeat(64) }],
		['too short', { if_access_token_sha256: 'ab' }],
		['an unknown field', { if_access_token: 'at-refused' }],
	])('a body with %s is a 400 and no provider call', async (_name, payload) => {
		const answer = await inject({
			method: 'POST',
			url: '/v1/credentials/acme/crm/refresh',
			headers: asInternal,
			payload,
		});
		expect(answer.statusCode).toBe(400);
		expect(answer.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
		expect(await grants()).toBe(3);
	});
});
