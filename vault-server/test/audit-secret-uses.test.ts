import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/databases.js';
import { asAdmin, startTestVault, type TestVault } from './helpers/vault-app.js';

const API_KEY = 'sk-live-tested-secret-5a7c9e1b3d';
const CLIENT_SECRET = 'crm-app-secret-4f6b8d0a2c';
const NEW_CLIENT_SECRET = 'crm-app-secret-rotated-9e7c5a3b1d';

type Row = Record<string, unknown>;

/**
 * Issue 13 item 6: a credential sent to its service's test_url is audited as a use of it, by
 * whoever ran the test; a connection without test_url is not tested (no refresh in its place);
 * `service.update` rows name the fields that changed, secrets by name only.
 */
describe.each(backends())('audit of secret uses on %s', (backend) => {
	let vault: TestVault;
	let target: Server;
	let origin: string;
	const calls: string[] = [];

	const rowsOf = (action: string) =>
		vault.database.db.query<Row>('SELECT * FROM audit_log WHERE action = $1 ORDER BY id', [action]);
	const admin = (method: 'POST' | 'PUT' | 'PATCH', url: string, payload: object) =>
		vault.app.inject({ method, url, headers: asAdmin, payload });
	const connectionTests = () => admin('POST', '/v1/diagnostics/connection-tests', {});

	beforeAll(async () => {
		// the services' test_url (answers 200 to the right key only) and token endpoint
		target = createServer((request, response) => {
			calls.push(`${request.method} ${request.url}`);
			response.statusCode = request.headers.authorization === `Bearer ${API_KEY}` ? 200 : 401;
			response.end('{}');
		});
		await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
		origin = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
		vault = await startTestVault(backend, { ALLOW_INSECURE_OAUTH_URLS: 'true', PORT: '1' });
		const setup: ['POST' | 'PUT', string, object][] = [
			['POST', '/v1/clients', { id: 'acme', name: 'Acme' }],
			[
				'POST',
				'/v1/services',
				{ name: 'keys', display_name: 'Keys', oauth_type: 'api_key', test_url: `${origin}/me` },
			],
			['PUT', '/v1/clients/acme/connections/keys', { api_key: API_KEY }],
			[
				'POST',
				'/v1/services',
				{
					name: 'crm',
					display_name: 'CRM',
					oauth_type: 'oauth2',
					oauth_token_url: `${origin}/token`,
					oauth_client_id: 'crm-app',
					oauth_client_secret: CLIENT_SECRET,
				},
			],
			[
				'PUT',
				'/v1/clients/acme/connections/crm',
				{ access_token: 'at-crm', refresh_token: 'rt-crm' },
			],
		];
		for (const [method, url, payload] of setup)
			expect(`${url} ${(await admin(method, url, payload)).statusCode}`).toMatch(/ 20[01]$/);
	});
	afterAll(async () => {
		await vault?.close();
		await new Promise((resolve) => target?.close(resolve));
	});

	it('each test_url call is a credential.test row naming who ran it, the connection and the outcome', async () => {
		const response = await connectionTests();
		expect(response.statusCode).toBe(200);
		expect(calls.filter((call) => call === 'GET /me')).toHaveLength(1);
		expect(await rowsOf('credential.test')).toMatchObject([
			{
				actor_id: 'env:ADMIN_API_TOKEN:1',
				client_id: 'acme',
				service: 'keys',
				status_code: 200,
				error_code: null,
				details: { outcome: 'ok' },
			},
		]);

		// a wrong key: the call and its refusal are audited the same way
		expect(
			(await admin('PUT', '/v1/clients/acme/connections/keys', { api_key: 'sk-wrong' })).statusCode,
		).toBe(200);
		await connectionTests();
		expect((await rowsOf('credential.test')).at(-1)).toMatchObject({
			status_code: 401,
			error_code: 'TEST_FAILED',
			details: { outcome: 'http_error' },
		});
		const everything = JSON.stringify(
			await vault.database.db.query('SELECT * FROM audit_log ORDER BY id'),
		);
		for (const secret of [API_KEY, 'sk-wrong', 'at-crm', 'rt-crm', CLIENT_SECRET])
			expect(everything).not.toContain(secret);
		await admin('PUT', '/v1/clients/acme/connections/keys', { api_key: API_KEY });
	});

	it('an OAuth2 connection without test_url is reported not tested: no refresh, no failure', async () => {
		const before = calls.length;
		const response = await connectionTests();
		expect(response.json().checks).toContainEqual({
			name: 'acme/crm',
			status: 'NOT CHECKED',
			detail: "not tested (no test_url on service 'crm')",
		});
		expect(response.json().failed).toBe(0);
		expect(calls.slice(before)).toEqual(['GET /me']);
		expect(await rowsOf('connection.refresh')).toEqual([]);
	});

	it('service.update names the fields that changed, the client secret by name only', async () => {
		const patch = async (payload: object) => {
			const response = await admin('PATCH', '/v1/services/crm', payload);
			expect(response.statusCode).toBe(200);
			return (await rowsOf('service.update')).at(-1);
		};
		expect(
			await patch({ oauth_client_secret: NEW_CLIENT_SECRET, oauth_token_url: `${origin}/token2` }),
		).toMatchObject({
			service: 'crm',
			details: { changed: ['oauth_client_secret', 'oauth_token_url'] },
		});
		// the same values again: nothing changed, the secret compared with the one stored
		expect(
			await patch({ oauth_client_secret: NEW_CLIENT_SECRET, display_name: 'CRM' }),
		).toMatchObject({ details: { changed: [] } });
		expect(await patch({ oauth_client_secret: null, display_name: 'CRM 2' })).toMatchObject({
			details: { changed: ['display_name', 'oauth_client_secret'] },
		});
		const rows = JSON.stringify(await rowsOf('service.update'));
		for (const secret of [CLIENT_SECRET, NEW_CLIENT_SECRET]) expect(rows).not.toContain(secret);
	});
});
