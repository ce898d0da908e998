import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { backends } from './helpers/databases.js';
import { TestProvider } from './helpers/test-provider.js';
import {
	asAdmin,
	asInternal,
	expectRequestLines,
	startTestVault,
	VERBOSE_LOGS,
	type TestVault,
	addAcmeAndCrm,
} from './helpers/vault-app.js';

/** token-endpoint.ts reads at most this much of a token endpoint's answer. */
const ANSWER_CAP = 256 * 1024;
const TOO_MUCH = 'the token endpoint answered too much data';
/** The provider's access tokens (`at-<n>-<random>`), which no log or audit row may hold. */
const PROVIDER_TOKEN = /at-\d+-[a-z0-9]+/;
/** A run of the answer's padding: the body itself, were it logged. */
const PADDING_RUN = 'x'.repeat(64);

describe.each(backends())('token answer cap on %s', (backend) => {
	let provider: TestProvider;
	let vault: TestVault;
	let seed = 0;
	const inject = (options: InjectOptions) => vault.app.inject(options);
	const refresh = () =>
		inject({ method: 'POST', url: '/v1/credentials/acme/crm/refresh', headers: asInternal });
	const fetchCredential = () => inject({ url: '/v1/credentials/acme/crm', headers: asInternal });
	const row = async () =>
		(
			await vault.database.db.query<Record<string, unknown>>(
				`SELECT * FROM connections WHERE client_id = 'acme' AND service = 'crm'`,
			)
		)[0]!;
	const connect = async () => {
		seed += 1;
		await provider.allowRefreshToken(`rt-cap-${seed}`);
		const stored = await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/crm',
			headers: asAdmin,
			payload: { access_token: `at-cap-seed-${seed}`, refresh_token: `rt-cap-${seed}` },
		});
		expect(stored.statusCode).toBeLessThan(300);
		return `at-cap-seed-${seed}`;
	};

	beforeAll(async () => {
		provider = await TestProvider.start();
		vault = await startTestVault(backend, {
			...VERBOSE_LOGS,
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
			// each case refreshes by hand right after the last: the manual-refresh throttle is not tested here
			MANUAL_REFRESH_INTERVAL_SECONDS: '0',
		});
		await addAcmeAndCrm(vault, provider.tokenUrl);
	});
	afterAll(async () => {
		await vault?.close();
		await provider?.stop();
	});
	beforeEach(async () => {
		await provider.control({ mode: 'ok', answerBytes: null });
		await provider.resetStats();
	});

	it('takes an answer of exactly 256 KiB', async () => {
		const old = await connect();
		await provider.control({ answerBytes: ANSWER_CAP });
		const refreshed = await refresh();
		expect(refreshed.statusCode).toBe(200);
		expect(refreshed.json().access_token).toMatch(PROVIDER_TOKEN);
		expect(refreshed.json().access_token).not.toBe(old);
		expect(refreshed.body).not.toContain(PADDING_RUN);
		expect(await row()).toMatchObject({ refresh_failures: 0, last_error: null });
	});

	it.each([ANSWER_CAP + 1, 4 * 1024 * 1024])(
		'refuses an answer of %i bytes: REFRESH_FAILED, nothing stored, the body nowhere',
		async (bytes) => {
			const old = await connect();
			const before = await row();
			await provider.control({ answerBytes: bytes });
			const refused = await refresh();
			expect(refused.statusCode).toBe(503);
			expect(refused.json()).toMatchObject({ code: 'REFRESH_FAILED' });
			expect(refused.json().message).toContain(TOO_MUCH);
			expect(refused.body).not.toMatch(PROVIDER_TOKEN);
			expect((await provider.stats()).tokenCalls).toBe(1);

			const after = await row();
			expect(after.credential_ciphertext).toEqual(before.credential_ciphertext);
			expect(after.refresh_token_ciphertext).toEqual(before.refresh_token_ciphertext);
			expect(after).toMatchObject({ last_error: TOO_MUCH, refresh_failures: 1, status: 'active' });
			// the old token is still the one served
			const served = await fetchCredential();
			expect(served.statusCode).toBe(200);
			expect(served.json().access_token).toBe(old);
		},
	);

	it('never logs or audits the refused answer nor any token it carried', async () => {
		const logs = vault.logs.text();
		expectRequestLines(logs);
		expect(logs).toContain(TOO_MUCH);
		expect(logs).not.toMatch(PROVIDER_TOKEN);
		expect(logs).not.toContain(PADDING_RUN);
		const audit = JSON.stringify(await vault.database.db.query('SELECT * FROM audit_log'));
		expect(audit).toContain(TOO_MUCH);
		expect(audit).not.toMatch(PROVIDER_TOKEN);
		expect(audit).not.toContain(PADDING_RUN);
	});
});
