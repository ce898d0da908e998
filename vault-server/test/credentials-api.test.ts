import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { backends } from './helpers/databases.js';
import {
	addClients,
	asAdmin,
	asInternal,
	bearer,
	expectRequestLines,
	startTestVault,
	VERBOSE_LOGS,
	type TestVault,
} from './helpers/vault-app.js';

const SECRETS = {
	access: 'ya29.A0-secret-access-token-1234567890',
	refresh: '1//0g-secret-refresh-token-abcdefghij',
	apiKey: 'sk-live-secret-api-key-0987654321',
	password: 'p4ss-secret-word-!@#',
};

describe.each(backends())('credential store and fetch on %s', (backend) => {
	let vault: TestVault;
	const inject = (options: InjectOptions) => vault.app.inject(options);

	beforeAll(async () => {
		vault = await startTestVault(backend, VERBOSE_LOGS);
		await inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'acme', name: 'Acme' },
		});
		await inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'globex', name: 'Globex' },
		});
		// google (oauth2) and openai (api_key) come from the service catalog
		for (const [name, type] of [['legacy-crm', 'basic']]) {
			const created = await inject({
				method: 'POST',
				url: '/v1/services',
				headers: asAdmin,
				payload: { name, display_name: name, oauth_type: type },
			});
			expect(created.statusCode).toBe(201);
		}
	});
	afterAll(async () => vault?.close());

	it('stores an OAuth2 connection (201, then 200 on replace) and never answers a secret', async () => {
		const body = {
			access_token: SECRETS.access,
			refresh_token: SECRETS.refresh,
			expires_in: 3600,
			scopes: ['email'],
		};
		const first = await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/google',
			headers: asAdmin,
			payload: body,
		});
		expect(first.statusCode).toBe(201);
		expect(first.json()).toMatchObject({
			client_id: 'acme',
			service: 'google',
			status: 'active',
			has_refresh_token: true,
		});
		expect(first.body).not.toContain(SECRETS.access);
		expect(first.body).not.toContain(SECRETS.refresh);
		const second = await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/google',
			headers: asAdmin,
			payload: body,
		});
		expect(second.statusCode).toBe(200);
	});

	it('fetches the OAuth2 credential with the read token, without the refresh token', async () => {
		const response = await inject({
			method: 'GET',
			url: '/v1/credentials/acme/google',
			headers: { ...asInternal, 'x-n8n-workflow-id': 'wf-42', 'x-n8n-execution-id': 'ex-7' },
		});
		expect(response.statusCode).toBe(200);
		const credential = response.json();
		expect(credential).toMatchObject({
			client_id: 'acme',
			service: 'google',
			type: 'oauth2',
			access_token: SECRETS.access,
			token_type: 'Bearer',
			scopes: ['email'],
			metadata: {},
		});
		expect(new Date(credential.expires_at).getTime()).toBeGreaterThan(Date.now());
		expect(credential.refresh_token).toBeUndefined();
	});

	it('gives the refresh token only to an admin who asks for it', async () => {
		const read = await inject({
			url: '/v1/credentials/acme/google?include_refresh_token=true',
			headers: asInternal,
		});
		expect(read.statusCode).toBe(403);
		expect(read.body).not.toContain(SECRETS.refresh);
		const admin = await inject({
			url: '/v1/credentials/acme/google?include_refresh_token=true',
			headers: asAdmin,
		});
		expect(admin.json().refresh_token).toBe(SECRETS.refresh);
	});

	it('round-trips an API key and a login', async () => {
		expect(
			(
				await inject({
					method: 'PUT',
					url: '/v1/clients/acme/connections/openai',
					headers: asAdmin,
					payload: { api_key: SECRETS.apiKey, metadata: { org: 'org-1' } },
				})
			).statusCode,
		).toBe(201);
		expect(
			(
				await inject({
					method: 'PUT',
					url: '/v1/clients/acme/connections/legacy-crm',
					headers: asAdmin,
					payload: { username: 'bot@acme.test', password: SECRETS.password },
				})
			).statusCode,
		).toBe(201);
		const apiKey = (
			await inject({ url: '/v1/credentials/acme/openai', headers: asInternal })
		).json();
		expect(apiKey).toMatchObject({
			type: 'api_key',
			api_key: SECRETS.apiKey,
			access_token: null,
			metadata: { org: 'org-1' },
		});
		const login = (
			await inject({ url: '/v1/credentials/acme/legacy-crm', headers: asInternal })
		).json();
		expect(login).toMatchObject({
			type: 'basic',
			username: 'bot@acme.test',
			password: SECRETS.password,
		});
	});

	it('refuses fields the service type does not take', async () => {
		const response = await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/openai',
			headers: asAdmin,
			payload: { access_token: 'x' },
		});
		expect(response.statusCode).toBe(422);
		expect(response.json().code).toBe('CREDENTIAL_NOT_ALLOWED');
	});

	it('tells an unknown client from a missing connection', async () => {
		const unknownClient = await inject({
			url: '/v1/credentials/nobody/google',
			headers: asInternal,
		});
		expect(unknownClient.statusCode).toBe(404);
		expect(unknownClient.json().code).toBe('CLIENT_NOT_FOUND');
		const noConnection = await inject({
			url: '/v1/credentials/globex/google',
			headers: asInternal,
		});
		expect(noConnection.statusCode).toBe(404);
		expect(noConnection.json().code).toBe('CONNECTION_NOT_FOUND');
	});

	it('answers each of many concurrent fetches (one lookup query) with its own credential or error', async () => {
		const asked = [
			['acme', 'google', 200, SECRETS.access],
			['nobody', 'google', 404, 'CLIENT_NOT_FOUND'],
			['acme', 'openai', 200, SECRETS.apiKey],
			['globex', 'google', 404, 'CONNECTION_NOT_FOUND'],
			['acme', 'legacy-crm', 200, SECRETS.password],
			['acme', 'google', 200, SECRETS.access],
		] as const;
		const answers = await Promise.all(
			[...asked, ...asked].map(([client, service]) =>
				inject({ url: `/v1/credentials/${client}/${service}`, headers: asInternal }),
			),
		);
		answers.forEach((answer, index) => {
			const [client, service, status, expected] = asked[index % asked.length]!;
			expect(answer.statusCode, `${client}/${service}`).toBe(status);
			if (status === 200) expect(answer.json()).toMatchObject({ client_id: client, service });
			expect(answer.body).toContain(expected);
		});
	});

	it('updates last_used_at on fetch and lists connections as metadata only', async () => {
		await inject({ url: '/v1/credentials/acme/google', headers: asInternal });
		const list = await inject({ url: '/v1/clients/acme/connections', headers: asInternal });
		expect(list.statusCode).toBe(200);
		const google = list.json().connections.find((c: { service: string }) => c.service === 'google');
		expect(google.last_used_at).not.toBeNull();
		for (const secret of Object.values(SECRETS)) expect(list.body).not.toContain(secret);
	});

	it('answers VAULT_DECRYPTION_FAILED for a ciphertext moved to another row, and for a tampered one', async () => {
		await inject({
			method: 'PUT',
			url: '/v1/clients/globex/connections/google',
			headers: asAdmin,
			payload: { access_token: 'globex-token' },
		});
		await vault.database.db.query(
			`UPDATE connections SET credential_ciphertext = (SELECT credential_ciphertext FROM connections WHERE client_id = 'acme' AND service = 'google')
			 WHERE client_id = 'globex' AND service = 'google'`,
		);
		const moved = await inject({ url: '/v1/credentials/globex/google', headers: asAdmin });
		expect(moved.statusCode).toBe(500);
		expect(moved.json()).toEqual({
			statusCode: 500,
			code: 'VAULT_DECRYPTION_FAILED',
			message: 'A stored secret could not be decrypted',
		});
		expect(moved.body).not.toContain(SECRETS.access);

		await vault.database.db.query(
			`UPDATE connections SET credential_ciphertext = overlay(credential_ciphertext placing '\\x00'::bytea from 40 for 1)
			 WHERE client_id = 'acme' AND service = 'openai'`,
		);
		const tampered = await inject({ url: '/v1/credentials/acme/openai', headers: asAdmin });
		expect(tampered.statusCode).toBe(500);
		expect(tampered.json().code).toBe('VAULT_DECRYPTION_FAILED');
		expect(vault.logs.text()).toContain('VAULT_DECRYPTION_FAILED');
	});

	it('never writes a stored secret to the logs or the audit log', async () => {
		const audit = await vault.database.db.query('SELECT * FROM audit_log');
		const auditText = JSON.stringify(audit);
		const logText = vault.logs.text();
		expect(audit.length).toBeGreaterThan(5);
		expectRequestLines(logText);
		for (const secret of Object.values(SECRETS)) {
			expect(logText).not.toContain(secret);
			expect(auditText).not.toContain(secret);
		}
		expect(logText).not.toContain('test-admin-token');
		expect(auditText).not.toContain('test-admin-token');
		const fetch = audit.find(
			(row) => row.action === 'credential.fetch' && row.workflow_id === 'wf-42',
		);
		expect(fetch).toMatchObject({
			client_id: 'acme',
			service: 'google',
			status_code: 200,
			execution_id: 'ex-7',
			actor_name: 'INTERNAL_API_TOKEN #1',
		});
	});

	it('deleting a client removes its connections', async () => {
		await inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'initech', name: 'Initech' },
		});
		await inject({
			method: 'PUT',
			url: '/v1/clients/initech/connections/openai',
			headers: asAdmin,
			payload: { api_key: 'k' },
		});
		expect(
			(await inject({ method: 'DELETE', url: '/v1/clients/initech', headers: asAdmin })).statusCode,
		).toBe(204);
		const left = await vault.database.db.query(
			`SELECT 1 FROM connections WHERE client_id = 'initech'`,
		);
		expect(left).toHaveLength(0);
		expect(
			(await inject({ url: '/v1/credentials/initech/openai', headers: asAdmin })).json().code,
		).toBe('CLIENT_NOT_FOUND');
	});

	it('refuses to delete a service that still has connections', async () => {
		const response = await inject({
			method: 'DELETE',
			url: '/v1/services/google',
			headers: asAdmin,
		});
		expect(response.statusCode).toBe(409);
		expect(response.json().code).toBe('SERVICE_IN_USE');
	});

	it('keeps a service client secret encrypted and never returns it', async () => {
		const secret = 'oauth-app-client-secret-xyz';
		const response = await inject({
			method: 'PATCH',
			url: '/v1/services/google',
			headers: asAdmin,
			payload: {
				oauth_client_id: 'app-id',
				oauth_client_secret: secret,
				oauth_token_url: 'https://oauth2.googleapis.com/token',
			},
		});
		expect(response.statusCode).toBe(200);
		expect(response.json()).toMatchObject({ oauth_client_id: 'app-id', has_client_secret: true });
		expect(response.body).not.toContain(secret);
		const rows = await vault.database.db.query<{ c: Uint8Array }>(
			`SELECT oauth_client_secret_ciphertext AS c FROM services WHERE name = 'google'`,
		);
		expect(Buffer.from(rows[0]!.c).toString('latin1')).not.toContain(secret);
		const insecure = await inject({
			method: 'PATCH',
			url: '/v1/services/google',
			headers: asAdmin,
			payload: { oauth_token_url: 'http://169.254.169.254/latest' },
		});
		expect(insecure.statusCode).toBe(400);
	});
});

describe.each(backends())('API tokens on %s', (backend) => {
	let vault: TestVault;
	const inject = (options: InjectOptions) => vault.app.inject(options);
	beforeAll(async () => {
		vault = await startTestVault(backend, { TOKEN_CACHE_SECONDS: '0' });
		await addClients(vault, ['client-a', 'client-b']);
		await inject({
			method: 'POST',
			url: '/v1/services',
			headers: asAdmin,
			payload: { name: 'stripe', display_name: 'Stripe', oauth_type: 'api_key' },
		});
		for (const id of ['client-a', 'client-b']) {
			await inject({
				method: 'PUT',
				url: `/v1/clients/${id}/connections/stripe`,
				headers: asAdmin,
				payload: { api_key: `key-${id}` },
			});
		}
	});
	afterAll(async () => vault?.close());

	it('401 for a missing, malformed or unknown token', async () => {
		for (const headers of [
			{},
			{ authorization: 'Basic abc' },
			{ authorization: 'Bearer' },
			bearer('ovt_unknown'),
			bearer('x'.repeat(600)),
		]) {
			const response = await inject({ url: '/v1/credentials/client-a/stripe', headers });
			expect(response.statusCode).toBe(401);
			expect(response.json().code).toBe('UNAUTHORIZED');
		}
	});

	it('403 for a read token on an admin route', async () => {
		const response = await inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asInternal,
			payload: { id: 'x', name: 'x' },
		});
		expect(response.statusCode).toBe(403);
		expect(response.json().code).toBe('FORBIDDEN');
	});

	it('creates a token shown once and stored only as a hash; a client-limited read token cannot read another client', async () => {
		const created = await inject({
			method: 'POST',
			url: '/v1/tokens',
			headers: asAdmin,
			payload: { name: 'n8n client-a', scope: 'read', clients: ['client-a'], expires_in_days: 35 },
		});
		expect(created.statusCode).toBe(201);
		const { token, id } = created.json();
		expect(token).toMatch(/^ovt_[A-Za-z0-9_-]{43}$/);
		const stored = JSON.stringify(await vault.database.db.query('SELECT * FROM api_tokens'));
		expect(stored).not.toContain(token);

		expect(
			(await inject({ url: '/v1/credentials/client-a/stripe', headers: bearer(token) })).statusCode,
		).toBe(200);
		for (const url of [
			'/v1/credentials/client-b/stripe',
			'/v1/credentials/CLIENT-A/stripe',
			'/v1/clients/client-b/connections',
		]) {
			const denied = await inject({ url, headers: bearer(token) });
			expect(denied.statusCode, url).toBe(403);
		}
		for (const url of [
			'/v1/credentials/client-a%2F..%2Fclient-b/stripe',
			'/v1/credentials/client-\u0430/stripe',
		]) {
			const denied = await inject({ url, headers: bearer(token) });
			expect(denied.statusCode, url).toBeGreaterThanOrEqual(400);
			expect(denied.statusCode, url).toBeLessThan(500);
			expect(denied.body).not.toContain('key-client-b');
		}

		const list = await inject({ url: '/v1/tokens', headers: asAdmin });
		expect(list.body).not.toContain(token);
		expect(list.json().tokens.find((t: { id: string }) => t.id === id).last_used_at).not.toBeNull();

		expect(
			(await inject({ method: 'DELETE', url: `/v1/tokens/${id}`, headers: asAdmin })).statusCode,
		).toBe(204);
		expect(
			(await inject({ url: '/v1/credentials/client-a/stripe', headers: bearer(token) })).statusCode,
		).toBe(401);
	});

	it('refuses an admin token limited to clients (400) and revoking an unknown id (404)', async () => {
		const limitedAdmin = await inject({
			method: 'POST',
			url: '/v1/tokens',
			headers: asAdmin,
			payload: { name: 'too narrow', scope: 'admin', clients: ['client-a'] },
		});
		expect(limitedAdmin.statusCode).toBe(400);
		expect(limitedAdmin.json().code).toBe('VALIDATION_FAILED');
		const unknown = await inject({
			method: 'DELETE',
			url: '/v1/tokens/00000000-0000-4000-8000-000000000000',
			headers: asAdmin,
		});
		expect(unknown.statusCode).toBe(404);
		expect(unknown.json().code).toBe('TOKEN_NOT_FOUND');
	});

	it('refuses an expired token', async () => {
		const { token, id } = (
			await inject({
				method: 'POST',
				url: '/v1/tokens',
				headers: asAdmin,
				payload: { name: 'short', scope: 'read', expires_in_days: 1 },
			})
		).json();
		await vault.database.db.query(
			`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`,
			[id],
		);
		expect(
			(await inject({ url: '/v1/credentials/client-a/stripe', headers: bearer(token) })).statusCode,
		).toBe(401);
	});
});

describe.each(backends())('a shared address on %s', (backend) => {
	let vault: TestVault;
	beforeAll(async () => {
		vault = await startTestVault(backend, { AUTH_FAILURE_LIMIT: '20' });
	});
	afterAll(async () => vault?.close());

	it('20 wrong tokens from an address, then a valid read-token fetch from it: 200', async () => {
		const inject = (options: InjectOptions) =>
			vault.app.inject({ ...options, remoteAddress: '10.20.30.40' });
		await vault.app.inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'acme', name: 'Acme' },
		});
		await vault.app.inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/openai',
			headers: asAdmin,
			payload: { api_key: 'sk-shared-address-0123456789' },
		});
		const { token } = (
			await vault.app.inject({
				method: 'POST',
				url: '/v1/tokens',
				headers: asAdmin,
				payload: { name: 'n8n', scope: 'read' },
			})
		).json();
		for (let i = 0; i < 20; i += 1) {
			expect(
				(await inject({ url: '/v1/credentials/acme/openai', headers: bearer(`ovt_wrong${i}`) }))
					.statusCode,
			).toBe(401);
		}
		const wrong = await inject({ url: '/v1/credentials/acme/openai', headers: bearer('ovt_x') });
		expect(wrong.statusCode).toBe(429);
		const valid = await inject({ url: '/v1/credentials/acme/openai', headers: bearer(token) });
		expect(valid.statusCode).toBe(200);
		expect(valid.json().api_key).toBe('sk-shared-address-0123456789');
	});
});

describe('rate limits', () => {
	let vault: TestVault;
	beforeAll(async () => {
		vault = await startTestVault('pglite', {
			RATE_LIMIT_MAX: '5',
			AUTH_FAILURE_LIMIT: '3',
			RATE_LIMIT_WINDOW: '1 minute',
		});
	});
	afterAll(async () => vault?.close());

	it('429 with Retry-After once a token exceeds its budget', async () => {
		const statuses: number[] = [];
		let last;
		for (let i = 0; i < 7; i += 1) {
			last = await vault.app.inject({ url: '/v1/services', headers: asAdmin });
			statuses.push(last.statusCode);
		}
		expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
		expect(statuses[6]).toBe(429);
		expect(last!.json().code).toBe('RATE_LIMITED');
		expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
	});

	it('blocks wrong tokens from an IP after repeated failed authentications, never a valid one', async () => {
		const from = { remoteAddress: '10.9.8.7' };
		for (let i = 0; i < 3; i += 1) {
			expect(
				(await vault.app.inject({ url: '/v1/clients', headers: bearer('wrong-guess'), ...from }))
					.statusCode,
			).toBe(401);
		}
		const blocked = await vault.app.inject({
			url: '/v1/clients',
			headers: bearer('wrong-guess'),
			...from,
		});
		expect(blocked.statusCode).toBe(429);
		expect(blocked.headers['retry-after']).toBeDefined();
		// another program on the same address (n8n behind one NAT) keeps working
		const rightFromBlocked = await vault.app.inject({
			url: '/v1/clients/x/connections',
			headers: asInternal,
			...from,
		});
		expect(rightFromBlocked.statusCode).toBe(404);
		const wrongAgain = await vault.app.inject({
			url: '/v1/clients',
			headers: bearer('wrong-guess'),
			...from,
		});
		expect(wrongAgain.statusCode).toBe(429);
		const otherIp = await vault.app.inject({
			url: '/v1/clients/x/connections',
			headers: asInternal,
			remoteAddress: '10.9.8.8',
		});
		expect(otherIp.statusCode).toBe(404);
	});
});
