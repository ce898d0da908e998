import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { evaluateAlerts } from '../src/domain/alerts/evaluate-alerts.js';
import { backends } from './helpers/databases.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';
import { testWebhookWorker } from './helpers/webhook-worker.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { asAdmin, startTestVault, type TestVault } from './helpers/vault-app.js';

const WEBHOOK_SECRET = 'webhook-secret-0123456789abcdef';
const API_KEY = 'sk-alert-test-secret-key';

describe.each(backends())('alerts on %s', (backend) => {
	let vault: TestVault;
	let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
	const sql = (text: string, params: unknown[] = []) =>
		vault.database.db.query<Record<string, any>>(text, params);
	const evaluate = () => evaluateAlerts(vault.database.db, vault.config.alerts, 0);
	const openAlerts = async () =>
		(await vault.app.inject({ url: '/v1/alerts?status=open', headers: asAdmin })).json().alerts;

	beforeAll(async () => {
		receiver = await startWebhookReceiver(1);
		vault = await startTestVault(backend, {
			REFRESHER_ENABLED: 'false',
			ALERT_WEBHOOK_URL: receiver.url,
			ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
		});
		const admin = (method: 'POST' | 'PUT', url: string, payload: object) =>
			vault.app.inject({ method, url, headers: asAdmin, payload });
		await admin('POST', '/v1/clients', { id: 'acme', name: 'Acme' });
		await admin('POST', '/v1/services', {
			name: 'openai',
			display_name: 'OpenAI',
			oauth_type: 'api_key',
		});
		await admin('POST', '/v1/services', {
			name: 'crm',
			display_name: 'CRM',
			oauth_type: 'oauth2',
			oauth_token_url: 'https://crm.example.com/token',
		});
		await admin('PUT', '/v1/clients/acme/connections/openai', { api_key: API_KEY });
		await admin('PUT', '/v1/clients/acme/connections/crm', {
			access_token: 'at-alert-secret',
			refresh_token: 'rt-alert-secret',
			expires_in: 3600,
		});
	});
	afterAll(async () => {
		await vault?.close();
		await receiver?.close();
	});

	it('opens each rule once while its condition holds, and resolves it when the condition clears', async () => {
		expect(await evaluate()).toEqual({ opened: [], resolved: [] });
		await sql(
			`UPDATE connections SET created_at = now() - interval '31 days' WHERE service = 'openai'`,
		);
		await sql(
			`UPDATE connections SET expires_at = now() - interval '8 days', refresh_failures = 6, last_error = 'HTTP 500' WHERE service = 'crm'`,
		);
		vault.app.criticalErrors.record('decryption_failed');
		await vault.app.criticalErrors.flush();

		const first = await evaluate();
		expect(first!.opened.map((a) => `${a.rule} ${a.subject}`).sort()).toEqual([
			'connection_expired acme/crm',
			'connection_unused acme/openai',
			'critical_errors vault/decryption_failed',
			'refresh_failing acme/crm',
		]);
		expect((await evaluate())!.opened).toEqual([]);
		const open = await openAlerts();
		expect(open).toHaveLength(4);
		expect(open.find((a: any) => a.rule === 'refresh_failing').details).toMatchObject({
			refresh_failures: 6,
			last_error: 'HTTP 500',
		});

		// five failures is not "more than five"; a use clears "never used"; the token is renewed
		await sql(
			`UPDATE connections SET refresh_failures = 5, expires_at = now() + interval '1 hour' WHERE service = 'crm'`,
		);
		await sql(`UPDATE connections SET last_used_at = now() WHERE service = 'openai'`);
		await sql(`UPDATE critical_errors SET last_at = now() - interval '1 hour'`);
		const cleared = await evaluate();
		expect(cleared!.resolved.map((a) => a.rule).sort()).toEqual([
			'connection_expired',
			'connection_unused',
			'critical_errors',
			'refresh_failing',
		]);
		expect(await openAlerts()).toEqual([]);
		expect(
			(await vault.app.inject({ url: '/v1/alerts?status=resolved', headers: asAdmin })).json()
				.alerts,
		).toHaveLength(4);

		await sql(`UPDATE connections SET refresh_failures = 9 WHERE service = 'crm'`);
		expect((await evaluate())!.opened.map((a) => a.rule)).toEqual(['refresh_failing']);
		const rows = await sql(`SELECT status FROM alerts WHERE rule = 'refresh_failing' ORDER BY id`);
		expect(rows.map((r) => r.status)).toEqual(['resolved', 'open']);
	});

	it('refuses a second open alert for the same rule and subject at the database', async () => {
		await expect(
			sql(`INSERT INTO alerts (rule, subject) VALUES ('refresh_failing', 'acme/crm')`),
		).rejects.toThrow();
	});

	it('posts open and resolve to the webhook, signed, retried after a failure, without a secret', async () => {
		const worker = testWebhookWorker(vault);
		// the receiver answers the first post 500: that delivery is retried
		await vi.waitFor(async () => {
			await worker.kick();
			const names = receiver.received.map((r) => JSON.parse(r.body).event);
			expect(names.filter((e) => e === 'alert.opened')).toHaveLength(5);
			expect(names.filter((e) => e === 'alert.resolved')).toHaveLength(4);
		}, WAIT_BOUND);
		const events = receiver.received.map((r) => JSON.parse(r.body));
		// each payload carries the audit chain's head, for a copy the database cannot rewrite
		const [head] = await vault.database.db.query<{ id: number; hash: string }>(
			`SELECT last_id AS id, encode(last_hash, 'hex') AS hash FROM audit_chain_head`,
		);
		expect(head!.id).toBeGreaterThan(0);
		for (const event of events) expect(event.audit_head).toEqual(head);
		for (const { headers, body } of receiver.received) {
			const expected = createHmac('sha256', WEBHOOK_SECRET)
				.update(`${headers['x-otobot-timestamp']}.${body}`)
				.digest('hex');
			expect(headers['x-otobot-signature']).toBe(`sha256=${expected}`);
			for (const secret of [API_KEY, 'at-alert-secret', 'rt-alert-secret', WEBHOOK_SECRET])
				expect(body).not.toContain(secret);
		}
		const resolved = events.find(
			(e) => e.event === 'alert.resolved' && e.alert.rule === 'refresh_failing',
		);
		expect(resolved.alert).toMatchObject({
			subject: 'acme/crm',
			status: 'resolved',
			client_id: 'acme',
			service: 'crm',
		});
		// delivered once: a second round sends nothing
		const count = receiver.received.length;
		await worker.kick();
		expect(receiver.received.length).toBe(count);
		await worker.stop();
	});

	it('counts the decryption failures of API requests as critical errors', async () => {
		await sql(
			`UPDATE connections SET credential_ciphertext = credential_ciphertext || '\\x00'::bytea WHERE service = 'openai'`,
		);
		const response = await vault.app.inject({
			url: '/v1/credentials/acme/openai',
			headers: asAdmin,
		});
		expect(response.json().code).toBe('VAULT_DECRYPTION_FAILED');
		await vault.app.criticalErrors.flush();
		const [row] = await sql(
			`SELECT sum(count)::int AS n FROM critical_errors WHERE kind = 'decryption_failed' AND last_at > now() - interval '1 minute'`,
		);
		expect(row!.n).toBe(1);
	});
});

describe('the alert evaluator inside serve', () => {
	it('runs with the refresh loop and opens the alert a connection calls for (the lease: evaluation-lease.test.ts)', async () => {
		const vault = await startTestVault('pglite', {
			REFRESHER_ENABLED: 'true',
			ALERT_EVALUATION_INTERVAL_SECONDS: '1',
			ALERT_REFRESH_FAILURES: '0',
		});
		try {
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
				payload: { name: 'openai', display_name: 'OpenAI', oauth_type: 'api_key' },
			});
			await vault.app.inject({
				method: 'PUT',
				url: '/v1/clients/acme/connections/openai',
				headers: asAdmin,
				payload: { api_key: 'k' },
			});
			await vault.database.db.query(`UPDATE connections SET refresh_failures = 1`);
			await vi.waitFor(
				async () => {
					const alerts = (await vault.app.inject({ url: '/v1/alerts', headers: asAdmin })).json()
						.alerts;
					expect(alerts.map((a: any) => a.rule)).toEqual(['refresh_failing']);
				},
				{ timeout: 10_000, interval: 200 },
			);
		} finally {
			await vault.close();
		}
	});
});
