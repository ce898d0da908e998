import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/databases.js';
import { asAdmin, asInternal, startTestVault, type TestVault } from './helpers/vault-app.js';

const API_KEY = 'sk-live-diagnostics-secret-0987654321';

describe.each(backends())('diagnostics API on %s', (backend) => {
	let vault: TestVault;
	let target: Server;
	const seen: (string | undefined)[] = [];

	beforeAll(async () => {
		// a service's test_url: answers 200 to the right key only, and remembers what it was sent
		target = createServer((request, response) => {
			seen.push(request.headers.authorization);
			response.statusCode = request.headers.authorization === `Bearer ${API_KEY}` ? 200 : 401;
			response.end('{}');
		});
		await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
		const testUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/me`;
		vault = await startTestVault(backend, { ALLOW_INSECURE_OAUTH_URLS: 'true', PORT: '1' });
		const admin = (method: 'POST' | 'PUT', url: string, payload: object) =>
			vault.app.inject({ method, url, headers: asAdmin, payload });
		expect((await admin('POST', '/v1/clients', { id: 'acme', name: 'Acme' })).statusCode).toBe(201);
		expect(
			(
				await admin('POST', '/v1/services', {
					name: 'crm-api',
					display_name: 'CRM',
					oauth_type: 'api_key',
					test_url: testUrl,
				})
			).statusCode,
		).toBe(201);
		expect(
			(await admin('PUT', '/v1/clients/acme/connections/crm-api', { api_key: API_KEY })).statusCode,
		).toBe(201);
	});
	afterAll(async () => {
		await vault?.close();
		await new Promise((resolve) => target?.close(resolve));
	});

	const connectionTests = (payload: object, headers = asAdmin) =>
		vault.app.inject({
			method: 'POST',
			url: '/v1/diagnostics/connection-tests',
			headers,
			payload,
		});

	it('runs the checks in the vault: test_url called with the credential, which the answer never shows', async () => {
		const response = await connectionTests({});
		expect(response.statusCode).toBe(200);
		const body = response.json();
		expect(body.checks.map((check: any) => [check.name, check.status])).toEqual([
			['database', 'OK'],
			['migrations', 'OK'],
			['master key', 'OK'],
			['API health', 'SKIPPED'],
			['acme/crm-api', 'OK'],
		]);
		expect(body).toMatchObject({ connections: 1, failed: 0 });
		expect(seen).toEqual([`Bearer ${API_KEY}`]);
		expect(response.body).not.toContain(API_KEY);
	});

	it('refuses unknown fields, and read tokens', async () => {
		const unknown = await connectionTests({ client: 'acme' });
		expect(unknown.statusCode).toBe(400);
		expect(unknown.json().code).toBe('VALIDATION_FAILED');
		const read = await connectionTests({}, asInternal);
		expect(read.statusCode).toBe(403);
		expect(read.json().code).toBe('FORBIDDEN');
	});

	it('inserts the demo data once and removes it', async () => {
		const insert = () =>
			vault.app.inject({
				method: 'PUT',
				url: '/v1/diagnostics/test-data',
				headers: asAdmin,
				payload: {},
			});
		const first = await insert();
		expect(first.statusCode).toBe(200);
		expect(first.json().created).toContain('client demo-test-client');
		expect((await insert()).json().created).toEqual([]);
		const removed = await vault.app.inject({
			method: 'DELETE',
			url: '/v1/diagnostics/test-data',
			headers: asAdmin,
		});
		expect(removed.statusCode).toBe(200);
		expect(removed.json().removed).toContain('client demo-test-client and its connections');
	});

	it('names the test_url and the cause of an unreachable one, never its query', async () => {
		const closed = await new Promise<number>((resolve) => {
			const probe = createServer();
			probe.listen(0, '127.0.0.1', () => {
				const { port } = probe.address() as AddressInfo;
				probe.close(() => resolve(port));
			});
		});
		const admin = (method: 'POST' | 'PUT', url: string, payload: object) =>
			vault.app.inject({ method, url, headers: asAdmin, payload });
		expect(
			(
				await admin('POST', '/v1/services', {
					name: 'down-api',
					display_name: 'Down',
					oauth_type: 'api_key',
					test_url: `http://127.0.0.1:${closed}/status?key=query-secret`,
				})
			).statusCode,
		).toBe(201);
		expect(
			(await admin('PUT', '/v1/clients/acme/connections/down-api', { api_key: API_KEY }))
				.statusCode,
		).toBe(201);
		const response = await connectionTests({});
		const check = response.json().checks.find((c: { name: string }) => c.name === 'acme/down-api');
		expect(check).toEqual({
			name: 'acme/down-api',
			status: 'FAILED',
			detail: `test_url http://127.0.0.1:${closed}/status unreachable: connection refused (ECONNREFUSED)`,
		});
		expect(response.body).not.toContain('query-secret');
	});
});
