import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InjectOptions } from 'fastify';
import { evaluateAlerts } from '../src/domain/alerts/evaluate-alerts.js';
import { backends } from './helpers/databases.js';
import {
	APP_SECRET,
	SERVICE,
	approve,
	browse,
	connectThroughBrowser,
	createLink,
	openLink,
	startConnectRig,
	type ConnectRig,
} from './helpers/connect-rig.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';
import { testWebhookWorker } from './helpers/webhook-worker.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { vaultOutput } from './helpers/vault-output.js';
import {
	ADMIN_TOKEN,
	INTERNAL_TOKEN,
	TEST_MASTER_KEY,
	VERBOSE_LOGS,
	asAdmin,
	bearer,
	expectRequestLines,
} from './helpers/vault-app.js';

const WEBHOOK_SECRET = 'whsec-scan-6d1f0a9b2c';
const API_KEY = 'sk-scan-api-key-0b1c2d3e';
const PASSWORD = 'scan-password-7f8e9d';
const STORED_ACCESS = 'at-scan-stored-a1b2c3';
const STORED_REFRESH = 'rt-scan-stored-d4e5f6';
const CRM_SECRET = 'cs-scan-crm-secret-9a8b';

/**
 * One scenario through every part of the vault (connect flow, refresh, API keys and logins, API
 * tokens, refusals, a decryption failure, alerts with their webhook), then a search of everything
 * the vault wrote for every secret it was given or made.
 */
describe.each(backends())('secrets scan of a whole scenario on %s', (backend) => {
	let rig: ConnectRig;
	let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
	const secrets = new Set([
		ADMIN_TOKEN,
		INTERNAL_TOKEN,
		TEST_MASTER_KEY,
		APP_SECRET,
		WEBHOOK_SECRET,
		API_KEY,
		PASSWORD,
		STORED_ACCESS,
		STORED_REFRESH,
		CRM_SECRET,
	]);
	const written: string[] = [];
	const inject = async (options: InjectOptions) => {
		const response = await rig.vault.app.inject(options);
		if (response.statusCode >= 400) written.push(response.body);
		return response;
	};
	const admin = (method: InjectOptions['method'], url: string, payload?: object) =>
		inject({ method, url, headers: asAdmin, payload });
	const sql = (text: string, params: unknown[] = []) =>
		rig.vault.database.db.query<Record<string, any>>(text, params);

	beforeAll(async () => {
		receiver = await startWebhookReceiver();
		rig = await startConnectRig(backend, {
			...VERBOSE_LOGS,
			ALERT_WEBHOOK_URL: receiver.url,
			ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
		});
	});
	afterAll(async () => {
		await rig?.close();
		await receiver?.close();
	});

	it('runs the scenario', async () => {
		// connect flow: links, states, codes; a replay, a forged state, a callback with a stolen code
		for (const clientId of ['acme', 'globex']) {
			const link = await createLink(rig, clientId);
			secrets.add(new URL(link).pathname.split('/').at(-1)!);
			const { authorizeUrl, callbackUrl, callback } = await connectThroughBrowser(link);
			expect(callback.status).toBe(200);
			secrets
				.add(authorizeUrl.searchParams.get('state')!)
				.add(callbackUrl.searchParams.get('code')!);
			written.push(await (await browse(link)).text(), await (await browse(callbackUrl)).text());
		}
		const pending = await approve(await openLink(await createLink(rig, 'acme')));
		secrets.add(pending.searchParams.get('state')!).add(pending.searchParams.get('code')!);
		const forged = new URL(pending);
		forged.searchParams.set('state', `${pending.searchParams.get('state')}x`);
		written.push(await (await browse(forged)).text());

		// tokens from the provider, a manual refresh, and the new ones
		const { token: readToken } = (
			await admin('POST', '/v1/tokens', { name: 'n8n', scope: 'read', clients: ['acme'] })
		).json();
		secrets.add(readToken);
		const reveal = async (clientId: string) => {
			const credential = (
				await admin('GET', `/v1/credentials/${clientId}/${SERVICE}?include_refresh_token=true`)
			).json();
			secrets.add(credential.access_token).add(credential.refresh_token);
		};
		await reveal('acme');
		await reveal('globex');
		expect(
			(
				await inject({
					method: 'POST',
					url: `/v1/credentials/acme/${SERVICE}/refresh`,
					headers: bearer(readToken),
				})
			).statusCode,
		).toBe(200);
		await reveal('acme');

		// stored by hand: an API key, a login, OAuth2 tokens with a client secret
		await admin('POST', '/v1/services', {
			name: 'scan-key',
			display_name: 'Key',
			oauth_type: 'api_key',
		});
		await admin('POST', '/v1/services', {
			name: 'scan-login',
			display_name: 'Login',
			oauth_type: 'basic',
		});
		await admin('POST', '/v1/services', {
			name: 'scan-crm',
			display_name: 'CRM',
			oauth_token_url: 'https://127.0.0.1:1/token',
			oauth_client_id: 'crm',
			oauth_client_secret: CRM_SECRET,
		});
		await admin('PUT', '/v1/clients/acme/connections/scan-key', { api_key: API_KEY });
		await admin('PUT', '/v1/clients/acme/connections/scan-login', {
			username: 'ops',
			password: PASSWORD,
		});
		await admin('PUT', '/v1/clients/globex/connections/scan-crm', {
			access_token: STORED_ACCESS,
			refresh_token: STORED_REFRESH,
			expires_in: 1,
		});
		for (const service of ['scan-key', 'scan-login', SERVICE]) {
			expect(
				(await inject({ url: `/v1/credentials/acme/${service}`, headers: bearer(readToken) }))
					.statusCode,
			).toBe(200);
		}

		// refusals that carry secrets in the request
		await inject({
			url: `/v1/credentials/acme/scan-key?api_key=${API_KEY}`,
			headers: bearer(readToken),
		});
		await inject({ url: '/v1/credentials/globex/scan-crm', headers: bearer(readToken) });
		await inject({ url: '/v1/credentials/acme/scan-key', headers: bearer(STORED_REFRESH) });
		await inject({
			url: '/v1/credentials/acme/scan-key',
			headers: { authorization: `Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}` },
		});
		await admin('PUT', '/v1/clients/acme/connections/scan-crm', { api_key: API_KEY });
		await admin('PUT', '/v1/clients/acme/connections/scan-key', {
			api_key: API_KEY,
			password: PASSWORD,
		});
		await admin('POST', '/v1/clients', { id: `bad id ${PASSWORD}`, name: API_KEY });
		await admin('PATCH', '/v1/services/scan-crm', {
			oauth_client_secret: CRM_SECRET,
			oauth_token_url: `not a url ${CRM_SECRET}`,
		});
		// a refresh that fails (nothing listens on port 1), and a ciphertext moved to another row
		await admin('POST', '/v1/credentials/globex/scan-crm/refresh');
		await sql(
			`UPDATE connections SET credential_ciphertext = (SELECT credential_ciphertext FROM connections WHERE service = 'scan-login') WHERE service = 'scan-key'`,
		);
		expect((await admin('GET', '/v1/credentials/acme/scan-key')).statusCode).toBe(500);
		await rig.vault.app.criticalErrors.flush();

		// alerts: a failing refresh and the decryption failure, sent to the webhook
		await sql(
			`UPDATE connections SET refresh_failures = 6, last_error = 'HTTP 500' WHERE service = 'scan-crm'`,
		);
		await evaluateAlerts(rig.vault.database.db, rig.vault.config.alerts, 0);
		const worker = testWebhookWorker(rig.vault);
		await vi.waitFor(async () => {
			await worker.kick();
			expect(receiver.received.length).toBeGreaterThanOrEqual(2);
		}, WAIT_BOUND);
		await worker.stop();
		await admin('DELETE', `/v1/tokens/${(await admin('GET', '/v1/tokens')).json().tokens[0].id}`);
	});

	it('finds none of the secrets in logs, audit rows, error bodies, metrics, webhooks, reports or stored rows', async () => {
		const sources = await vaultOutput(rig.vault.app, rig.vault.database.db, {
			logs: rig.vault.logs.text(),
			'error bodies': written.join('\n'),
			webhooks: receiver.received.map((r) => JSON.stringify(r)).join('\n'),
		});
		expect(sources.logs).toContain('"level":50');
		expectRequestLines(sources.logs ?? '');
		expect(sources['table audit_log']).toContain('credential.fetch');
		for (const issued of rig.provider.issued) secrets.add(issued);
		for (const request of rig.provider.tokenRequests) {
			if (request.code_verifier) secrets.add(request.code_verifier);
		}
		expect(secrets.size).toBeGreaterThanOrEqual(25);
		for (const secret of secrets) {
			expect(secret.length, 'a secret of the scenario').toBeGreaterThanOrEqual(8);
			for (const [source, text] of Object.entries(sources))
				expect(text.includes(secret), `${source} holds ${secret.slice(0, 6)}…`).toBe(false);
		}
	});
});
