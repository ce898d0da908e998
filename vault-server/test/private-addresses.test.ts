import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { backends } from './helpers/databases.js';
import { TestProvider } from './helpers/test-provider.js';
import { TestProvider as AuthorizationServer } from './helpers/oauth-provider.js';
import { connectThroughBrowser, createLink, startConnectRig } from './helpers/connect-rig.js';
import { asAdmin, asInternal, startTestVault, type TestVault } from './helpers/vault-app.js';

// issue 13 item 13: with PROVIDER_PRIVATE_ADDRESSES=refuse no token or test call reaches a
// loopback, private, link-local or metadata address, whether the URL names it or resolves to it
const REFUSED =
	/resolves to a private address \((127\.0\.0\.1|::1)\); set PROVIDER_PRIVATE_ADDRESSES=allow to permit/;

/** IP literals a service may not name under `refuse` (tests allow http for the local provider). */
const LITERALS = [
	'https://169.254.169.254/latest/meta-data/iam/security-credentials/',
	'https://[::1]/token',
	'https://[::ffff:127.0.0.1]/token',
	'https://10.0.0.1/token',
	'https://0.0.0.0/token',
	'https://127.0.0.1:5432/',
	'https://100.64.0.1/token',
	'https://[fd00:ec2::254]/latest/',
	'https://[fe80::1]/token',
];

async function setUp(vault: TestVault, provider: TestProvider) {
	const admin = (method: 'POST' | 'PUT', url: string, payload: object) =>
		vault.app.inject({ method, url, headers: asAdmin, payload });
	const local = provider.baseUrl.replace('127.0.0.1', 'localhost');
	const created = [
		await admin('POST', '/v1/clients', { id: 'acme', name: 'Acme' }),
		await admin('POST', '/v1/services', {
			name: 'crm',
			display_name: 'CRM',
			oauth_type: 'oauth2',
			oauth_token_url: `${local}/token`,
			oauth_client_id: 'vault-app',
			oauth_client_secret: 'vault-app-secret',
		}),
		await admin('POST', '/v1/services', {
			name: 'crm-api',
			display_name: 'CRM API',
			oauth_type: 'api_key',
			test_url: `${local}/me`,
		}),
		await admin('PUT', '/v1/clients/acme/connections/crm-api', { api_key: 'sk-private-test-1' }),
	];
	expect(created.map((response) => response.statusCode)).toEqual([201, 201, 201, 201]);
}

describe.each(backends())('provider calls to private addresses on %s', (backend) => {
	let provider: TestProvider;
	let refusing: TestVault;
	let allowing: TestVault;
	let seed = 0;
	const settings = {
		ALLOW_INSECURE_OAUTH_URLS: 'true',
		REFRESHER_ENABLED: 'false',
		MANUAL_REFRESH_INTERVAL_SECONDS: '0',
		PORT: '1',
	};
	const inject = (vault: TestVault, options: InjectOptions) => vault.app.inject(options);
	const connect = async (vault: TestVault) => {
		seed += 1;
		await provider.allowRefreshToken(`rt-private-${seed}`);
		const stored = await inject(vault, {
			method: 'PUT',
			url: '/v1/clients/acme/connections/crm',
			headers: asAdmin,
			payload: { access_token: `at-private-${seed}`, refresh_token: `rt-private-${seed}` },
		});
		expect(stored.statusCode).toBeLessThan(300);
	};
	const refresh = (vault: TestVault) =>
		inject(vault, {
			method: 'POST',
			url: '/v1/credentials/acme/crm/refresh',
			headers: asInternal,
		});
	const testConnections = async (vault: TestVault) => {
		const response = await inject(vault, {
			method: 'POST',
			url: '/v1/diagnostics/connection-tests',
			headers: asAdmin,
			payload: {},
		});
		expect(response.statusCode).toBe(200);
		return (response.json().checks as { name: string; status: string; detail: string }[]).find(
			(check) => check.name === 'acme/crm-api',
		);
	};

	beforeAll(async () => {
		provider = await TestProvider.start();
		refusing = await startTestVault(backend, { ...settings, PROVIDER_PRIVATE_ADDRESSES: 'refuse' });
		allowing = await startTestVault(backend, { ...settings, PROVIDER_PRIVATE_ADDRESSES: 'allow' });
		await setUp(refusing, provider);
		await setUp(allowing, provider);
	});
	afterAll(async () => {
		await refusing?.close();
		await allowing?.close();
		await provider?.stop();
	});

	it('refuses a private IP literal as token URL, test URL or accounts server at once (400)', async () => {
		const post = (url: string) =>
			inject(refusing, {
				method: 'POST',
				url: '/v1/services',
				headers: asAdmin,
				payload: {
					name: 'internal',
					display_name: 'I',
					oauth_type: 'oauth2',
					oauth_token_url: url,
				},
			});
		const patch = (payload: object) =>
			inject(refusing, { method: 'PATCH', url: '/v1/services/crm', headers: asAdmin, payload });
		for (const url of [provider.tokenUrl, ...LITERALS]) {
			const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
			for (const [what, response] of [
				['POST oauth_token_url', await post(url)],
				['PATCH oauth_token_url', await patch({ oauth_token_url: url })],
				['PATCH test_url', await patch({ test_url: url })],
				['PATCH accounts_servers', await patch({ accounts_servers: [new URL(url).origin] })],
			] as const) {
				expect(response.statusCode, `${what} ${url}`).toBe(400);
				expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
				expect(response.json().message, `${what} ${url}`).toContain(`private address (${host})`);
			}
		}
		const stored = await inject(refusing, { url: '/v1/services/crm', headers: asAdmin });
		expect(stored.json().oauth_token_url).toBe(
			`${provider.baseUrl.replace('127.0.0.1', 'localhost')}/token`,
		);
		// a public literal is no refusal
		expect((await patch({ test_url: 'https://93.184.216.34/me' })).statusCode).toBe(200);
		expect((await patch({ test_url: null })).statusCode).toBe(200);
	});

	it('refuses a token URL whose name resolves to loopback when it is called: no request reaches the provider', async () => {
		await connect(refusing);
		await provider.resetStats();
		const refreshed = await refresh(refusing);
		expect(refreshed.statusCode).toBe(503);
		expect(refreshed.json()).toMatchObject({ code: 'REFRESH_FAILED' });
		expect(refreshed.json().message).toMatch(REFUSED);
		expect(refreshed.body).not.toContain('vault-app-secret');
		const [row] = await refusing.database.db.query<{ last_error: string; status: string }>(
			`SELECT last_error, status FROM connections WHERE client_id = 'acme' AND service = 'crm'`,
		);
		expect(row).toMatchObject({ status: 'active' });
		expect(row!.last_error).toMatch(REFUSED);
		expect((await provider.stats()).tokenCalls).toBe(0);
	});

	it('refuses a loopback literal token URL written before the policy (by SQL) when it is called', async () => {
		await refusing.database.db.query(
			`UPDATE services SET oauth_token_url = $1 WHERE name = 'crm'`,
			[provider.tokenUrl],
		);
		await connect(refusing);
		await provider.resetStats();
		const refreshed = await refresh(refusing);
		expect(refreshed.statusCode).toBe(503);
		expect(refreshed.json().message).toContain(
			'the token URL resolves to a private address (127.0.0.1)',
		);
		expect((await provider.stats()).tokenCalls).toBe(0);
	});

	it("refuses a test_url whose name resolves to loopback: the connection's key is never sent", async () => {
		await provider.resetStats();
		const check = await testConnections(refusing);
		expect(check).toMatchObject({ status: 'FAILED' });
		expect(check!.detail).toMatch(REFUSED);
		expect(check!.detail).toContain('the test_url');
		expect((await provider.stats()).testCalls).toBe(0);
		const [audit] = await refusing.database.db.query<{ details: { outcome: string } }>(
			`SELECT details FROM audit_log WHERE action = 'credential.test' ORDER BY id DESC LIMIT 1`,
		);
		expect(audit!.details.outcome).toBe('refused');
	});

	it('with allow, loopback token and test URLs work as before', async () => {
		const literal = await inject(allowing, {
			method: 'POST',
			url: '/v1/services',
			headers: asAdmin,
			payload: {
				name: 'internal',
				display_name: 'I',
				oauth_type: 'oauth2',
				oauth_token_url: provider.tokenUrl,
			},
		});
		expect(literal.statusCode).toBe(201);
		await connect(allowing);
		await provider.resetStats();
		const refreshed = await refresh(allowing);
		expect(refreshed.statusCode).toBe(200);
		expect(refreshed.json().access_token).toMatch(/^at-/);
		expect(await testConnections(allowing)).toMatchObject({
			status: 'OK',
			detail: 'test_url answered 2xx',
		});
		expect(await provider.stats()).toMatchObject({ tokenCalls: 1, testCalls: 1 });
	});
});

describe.each(backends())('connect flow code exchange at a private address on %s', (backend) => {
	it('refuses the code exchange at a loopback token URL: the provider gets no token request', async () => {
		const rig = await startConnectRig(backend, { PROVIDER_PRIVATE_ADDRESSES: 'refuse' });
		try {
			const provider: AuthorizationServer = rig.provider;
			const { callback, page } = await connectThroughBrowser(await createLink(rig, 'acme'));
			expect(callback.status).toBe(502);
			expect(page).toContain('the token URL resolves to a private address (127.0.0.1)');
			expect(provider.tokenRequests).toEqual([]);
		} finally {
			await rig.close();
		}
	});
});
