import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/databases.js';
import { asAdmin, startTestVault, type TestVault } from './helpers/vault-app.js';

const APP_SECRET = 'service-connections-app-secret-5e1f';

// the Services page of the console: which clients use a service, how many, and the redirect URI
describe.each(backends())('a service and its connections on %s', (backend) => {
	let vault: TestVault;
	const request = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
		vault.app.inject({ method, url, headers: asAdmin, ...(payload ? { payload } : {}) });
	const ids = async (query: string) => {
		const answer = await request('GET', `/v1/clients?${query}`);
		expect(answer.statusCode, answer.body).toBe(200);
		return (answer.json() as { clients: { id: string }[] }).clients.map((client) => client.id);
	};

	beforeAll(async () => {
		vault = await startTestVault(backend);
		for (const id of ['a-corp', 'b-corp', 'c-corp', 'd-corp', 'e-corp'])
			await request('POST', '/v1/clients', { id, name: `${id.toUpperCase()} Inc.` });
		await request('POST', '/v1/services', {
			name: 'crm',
			display_name: 'CRM',
			oauth_type: 'oauth2',
			oauth_token_url: 'https://crm.example.com/oauth/token',
			oauth_client_id: 'vault-app',
			oauth_client_secret: APP_SECRET,
		});
		await request('POST', '/v1/services', {
			name: 'keys',
			display_name: 'Keys',
			oauth_type: 'api_key',
		});
		for (const id of ['e-corp', 'b-corp', 'c-corp'])
			await request('PUT', `/v1/clients/${id}/connections/crm`, { access_token: `at-${id}` });
		await request('PUT', '/v1/clients/a-corp/connections/keys', { api_key: 'k-a' });
	});
	afterAll(async () => vault?.close());

	it('lists the clients connected to a service, in id order, a page at a time', async () => {
		expect(await ids('service=crm')).toEqual(['b-corp', 'c-corp', 'e-corp']);
		expect(await ids('service=crm&limit=2')).toEqual(['b-corp', 'c-corp']);
		expect(await ids('service=crm&limit=2&after=c-corp')).toEqual(['e-corp']);
		expect(await ids('service=keys')).toEqual(['a-corp']);
		expect(await ids('service=crm&q=E-CO')).toEqual(['e-corp']);
	});

	it('answers no client for a service nobody uses or nobody knows', async () => {
		expect(await ids('service=unknown')).toEqual([]);
	});

	it('refuses a service filter that is no service name (400 JSON)', async () => {
		const answer = await request('GET', '/v1/clients?service=Not%20A%20Name');
		expect(answer.statusCode).toBe(400);
		expect(answer.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
	});

	it('counts the connections of one service and names the redirect URI, never the secret', async () => {
		const answer = await request('GET', '/v1/services/crm');
		expect(answer.statusCode).toBe(200);
		expect(answer.json()).toMatchObject({
			name: 'crm',
			connection_count: 3,
			has_client_secret: true,
			oauth_redirect_uri: `${vault.config.publicUrl}/oauth/callback`,
		});
		expect(answer.body).not.toContain(APP_SECRET);
		const keys = await request('GET', '/v1/services/keys');
		expect(keys.json()).toMatchObject({ connection_count: 1 });
		const list = await request('GET', '/v1/services');
		const listed = (list.json() as { services: Record<string, unknown>[] }).services;
		expect(listed.find((service) => service.name === 'crm')).toMatchObject({
			oauth_redirect_uri: `${vault.config.publicUrl}/oauth/callback`,
		});
		expect(list.body).not.toContain(APP_SECRET);
	});
});
