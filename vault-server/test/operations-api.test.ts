import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/databases.js';
import {
	ADMIN_TOKEN,
	INTERNAL_TOKEN,
	asAdmin,
	asInternal,
	startTestVault,
	type TestVault,
} from './helpers/vault-app.js';

const API_KEY = 'sk-metrics-test-secret-key';

describe.each(backends())('GET /v1/monitoring and /metrics on %s', (backend) => {
	let vault: TestVault;
	let readToken: string;

	beforeAll(async () => {
		vault = await startTestVault(backend, { REFRESHER_ENABLED: 'false' });
		const admin = (method: 'POST' | 'PUT', url: string, payload: object) =>
			vault.app.inject({ method, url, headers: asAdmin, payload });
		await admin('POST', '/v1/clients', { id: 'acme-metrics', name: 'Acme' });
		await admin('POST', '/v1/services', {
			name: 'openai',
			display_name: 'OpenAI',
			oauth_type: 'api_key',
		});
		await admin('PUT', '/v1/clients/acme-metrics/connections/openai', { api_key: API_KEY });
		readToken = (
			await admin('POST', '/v1/tokens', { name: 'n8n old', scope: 'read', expires_in_days: 5 })
		).json().token;
		await admin('POST', '/v1/tokens', { name: 'n8n new', scope: 'read', expires_in_days: 35 });
		expect(
			(await vault.app.inject({ url: '/v1/credentials/acme-metrics/openai', headers: asInternal }))
				.statusCode,
		).toBe(200);
	});
	afterAll(async () => vault?.close());

	it('the monitoring summary warns of an API token expiring within 7 days, for admins only', async () => {
		expect(
			(await vault.app.inject({ url: '/v1/monitoring', headers: asInternal })).statusCode,
		).toBe(403);
		const response = await vault.app.inject({ url: '/v1/monitoring', headers: asAdmin });
		expect(response.statusCode).toBe(200);
		const summary = response.json();
		expect(summary.needs_action).toBe(true);
		expect(summary.counts).toMatchObject({
			connections: 1,
			tokens_expiring: 1,
			tokens_expired: 0,
			open_alerts: 0,
		});
		expect(summary.api_tokens.map((t: any) => t.name)).toEqual(['n8n old']);
		expect(response.body).not.toContain(readToken);
		expect(response.body).not.toContain(API_KEY);
	});

	it('/metrics needs an admin token and answers Prometheus text without ids or secrets in it', async () => {
		expect((await vault.app.inject({ url: '/metrics' })).statusCode).toBe(401);
		expect((await vault.app.inject({ url: '/metrics', headers: asInternal })).statusCode).toBe(403);
		const response = await vault.app.inject({ url: '/metrics', headers: asAdmin });
		expect(response.statusCode).toBe(200);
		expect(response.headers['content-type']).toContain('text/plain');
		const text = response.body;
		expect(text).toContain('# TYPE otobot_vault_http_requests_total counter');
		expect(text).toMatch(
			/otobot_vault_http_requests_total\{method="GET",route="\/v1\/credentials\/:client_id\/:service",status_code="200"\} 1/,
		);
		expect(text).toMatch(/otobot_vault_http_request_duration_seconds_bucket\{/);
		expect(text).toMatch(/otobot_vault_credential_fetches_total\{outcome="ok"\} 1/);
		expect(text).toMatch(/otobot_vault_connections\{state="no_expiry"\} 1/);
		expect(text).toMatch(/otobot_vault_api_tokens\{state="expiring"\} 1/);
		expect(text).toMatch(/otobot_vault_open_alerts\{rule="refresh_failing"\} 0/);
		expect(text).toMatch(/otobot_vault_audit_write_duration_seconds_count\{result="ok"\} \d+/);
		expect(text).toMatch(/otobot_vault_database_pool_connections\{kind="size"\} \d+/);
		for (const secret of [API_KEY, readToken, ADMIN_TOKEN, INTERNAL_TOKEN, 'acme-metrics'])
			expect(text).not.toContain(secret);
	});
});
