import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { evaluateAlerts } from '../src/domain/alerts/evaluate-alerts.js';
import {
	emitRefreshFailureEvents,
	emitWebhookEvent,
} from '../src/domain/webhooks/webhook-events.js';
import { syncAlertWebhookUrl } from '../src/domain/webhooks/webhook-subscriptions.js';
import type { WebhookWorker } from '../src/domain/webhooks/webhook-worker.js';
import { Secret } from '../src/config/secret.js';
import { backends } from './helpers/databases.js';
import {
	APP_SECRET,
	SERVICE,
	connectThroughBrowser,
	createLink,
	startConnectRig,
	type ConnectRig,
} from './helpers/connect-rig.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { TestProvider } from './helpers/test-provider.js';
import { startWebhookReceiver } from './helpers/webhook-receiver.js';
import { testWebhookWorker } from './helpers/webhook-worker.js';
import {
	addAcmeAndCrm,
	asAdmin,
	asInternal,
	startTestVault,
	testConfig,
	VERBOSE_LOGS,
	type TestVault,
} from './helpers/vault-app.js';

const SECRET = 'whsec-test-4b9e2c7a1d0f5e83';
const OTHER_SECRET = 'whsec-other-0a1b2c3d4e5f6789';

type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

describe.each(backends())('webhook subscriptions on %s', (backend) => {
	let vault: TestVault;
	let provider: TestProvider;
	let receiver: Receiver;
	let workers: WebhookWorker[] = [];
	let seed = 0;
	const sql = (text: string, params: unknown[] = []) =>
		vault.database.db.query<Record<string, any>>(text, params);
	const admin = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
		vault.app.inject({ method, url, headers: asAdmin, ...(payload ? { payload } : {}) });
	const subscribe = async (payload: object) => {
		const response = await admin('POST', '/v1/webhooks', payload);
		expect(response.statusCode).toBe(201);
		return response.json().id as string;
	};
	const worker = () => {
		const started = testWebhookWorker(vault);
		workers.push(started);
		return started;
	};
	const deliveries = (webhookId: string) =>
		sql(`SELECT * FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id`, [webhookId]);
	/** Stores acme/crm with a token about to expire, so the next fetch refreshes it. */
	const connectCrm = async () => {
		seed += 1;
		await provider.allowRefreshToken(`rt-hook-${seed}`);
		const response = await admin('PUT', '/v1/clients/acme/connections/crm', {
			access_token: `at-hook-${seed}`,
			refresh_token: `rt-hook-${seed}`,
			expires_in: 10,
		});
		expect(response.statusCode).toBeLessThan(300);
	};

	beforeAll(async () => {
		provider = await TestProvider.start();
		receiver = await startWebhookReceiver(1);
		vault = await startTestVault(backend, {
			...VERBOSE_LOGS,
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
		});
		await addAcmeAndCrm(vault, provider.tokenUrl);
	});
	afterEach(async () => {
		await Promise.all(workers.map((w) => w.stop()));
		workers = [];
	});
	afterAll(async () => {
		await vault?.close();
		await receiver?.close();
		await provider?.stop();
	});

	it('subscribes with a write-only secret: answered without it, stored sealed, never logged or audited', async () => {
		const response = await admin('POST', '/v1/webhooks', {
			url: receiver.url,
			events: ['alert.opened'],
			secret: OTHER_SECRET,
		});
		expect(response.statusCode).toBe(201);
		const created = response.json();
		expect(created).toMatchObject({
			url: receiver.url,
			events: ['alert.opened'],
			refresh_failures: 3,
			origin: 'api',
			has_secret: true,
		});
		expect(response.body).not.toContain(OTHER_SECRET);
		expect((await admin('GET', `/v1/webhooks/${created.id}`)).json()).toEqual(created);
		const listed = (await admin('GET', '/v1/webhooks')).json().webhooks;
		expect(listed.map((w: any) => w.id)).toContain(created.id);
		const [row] = await sql(`SELECT secret_ciphertext FROM webhooks WHERE id = $1`, [created.id]);
		expect(Buffer.from(row!.secret_ciphertext).includes(OTHER_SECRET)).toBe(false);
		const audit = await sql(`SELECT * FROM audit_log WHERE action LIKE 'webhook.%'`);
		expect(audit.length).toBeGreaterThan(0);
		expect(JSON.stringify(audit)).not.toContain(OTHER_SECRET);
		expect(vault.logs.text()).not.toContain(OTHER_SECRET);
		expect((await admin('DELETE', `/v1/webhooks/${created.id}`)).statusCode).toBe(204);
	});

	it('refuses bad input with 4xx codes, never a 500', async () => {
		const valid = { url: receiver.url, events: ['alert.opened'], secret: SECRET };
		for (const payload of [
			{ ...valid, url: 'ftp://example.com/hook' },
			{ ...valid, url: 'not a url' },
			{ ...valid, events: ['connection.exploded'] },
			{ ...valid, events: [] },
			{ ...valid, secret: 'short' },
			{ ...valid, refresh_failures: 0 },
			{ ...valid, extra: true },
			{ url: receiver.url, events: ['alert.opened'] },
		]) {
			const response = await admin('POST', '/v1/webhooks', payload);
			expect(response.statusCode, JSON.stringify(payload)).toBe(400);
			expect(response.json().code).toBe('VALIDATION_FAILED');
		}
		const unknown = randomUUID();
		for (const [method, url] of [
			['GET', `/v1/webhooks/${unknown}`],
			['DELETE', `/v1/webhooks/${unknown}`],
			['GET', `/v1/webhooks/${unknown}/deliveries`],
		] as const) {
			const response = await admin(method, url);
			expect(response.statusCode).toBe(404);
			expect(response.json().code).toBe('WEBHOOK_NOT_FOUND');
		}
		expect((await admin('GET', '/v1/webhooks/not-a-uuid')).json().code).toBe('VALIDATION_FAILED');
		const readOnly = await vault.app.inject({ url: '/v1/webhooks', headers: asInternal });
		expect(readOnly.statusCode).toBe(403);
	});

	it('queues connection.needs_reauth with the refused refresh, and delivers it signed, retried after a 500', async () => {
		const id = await subscribe({
			url: receiver.url,
			events: ['connection.needs_reauth'],
			secret: SECRET,
		});
		await connectCrm();
		await provider.control({ mode: 'invalid_grant' });
		const fetched = await vault.app.inject({
			url: '/v1/credentials/acme/crm',
			headers: asInternal,
		});
		expect(fetched.json().code).toBe('CONNECTION_NEEDS_REAUTH');
		// in the outbox before any worker ran: written with the change
		const queued = await deliveries(id);
		expect(queued.map((d) => [d.event, d.status])).toEqual([
			['connection.needs_reauth', 'pending'],
		]);

		const sender = worker();
		await vi.waitFor(async () => {
			await sender.kick();
			expect(receiver.received.map((r) => JSON.parse(r.body).event)).toContain(
				'connection.needs_reauth',
			);
		}, WAIT_BOUND);
		const { headers, body } = receiver.received.find(
			(r) => JSON.parse(r.body).event === 'connection.needs_reauth',
		)!;
		const expected = createHmac('sha256', SECRET)
			.update(`${headers['x-otobot-timestamp']}.${body}`)
			.digest('hex');
		expect(headers['x-otobot-signature']).toBe(`sha256=${expected}`);
		const event = JSON.parse(body);
		expect(headers['x-otobot-delivery']).toBe(event.id);
		expect(headers['x-otobot-event']).toBe('connection.needs_reauth');
		expect(event.connection).toMatchObject({
			client_id: 'acme',
			service: 'crm',
			status: 'needs_reauth',
			last_error: 'invalid_grant',
		});
		for (const secret of [SECRET, `rt-hook-${seed}`, `at-hook-${seed}`, 'vault-app-secret'])
			expect(body).not.toContain(secret);

		const log = (await admin('GET', `/v1/webhooks/${id}/deliveries`)).json();
		expect(log.deliveries).toHaveLength(1);
		const [delivery] = log.deliveries;
		expect(delivery).toMatchObject({
			delivery_id: event.id,
			event: 'connection.needs_reauth',
			status: 'delivered',
			attempts: 2,
			next_attempt_at: null,
		});
		expect(delivery.attempt_log.map((a: any) => [a.http_status, a.error_class])).toEqual([
			[500, 'http_status'],
			[204, null],
		]);
		for (const attempt of delivery.attempt_log)
			expect(attempt.duration_ms).toBeGreaterThanOrEqual(0);
		await admin('DELETE', `/v1/webhooks/${id}`);
		await provider.control({ mode: 'ok' });
	});

	it('queues connection.refresh_failing only for the subscriptions whose threshold the failures reach', async () => {
		const atTwo = await subscribe({
			url: receiver.url,
			events: ['connection.refresh_failing'],
			secret: SECRET,
			refresh_failures: 2,
		});
		const atFive = await subscribe({
			url: receiver.url,
			events: ['connection.refresh_failing', 'connection.needs_reauth'],
			secret: SECRET,
			refresh_failures: 5,
		});
		await connectCrm();
		await provider.control({ mode: 'error500' });
		await sql(
			`UPDATE connections SET refresh_failures = 1, next_refresh_at = now() WHERE service = 'crm'`,
		);
		await vault.app.inject({ url: '/v1/credentials/acme/crm', headers: asInternal });
		const [connection] = await sql(
			`SELECT refresh_failures FROM connections WHERE service = 'crm'`,
		);
		expect(connection!.refresh_failures).toBe(2);
		const [event] = await deliveries(atTwo);
		expect(event).toMatchObject({ event: 'connection.refresh_failing' });
		expect(event!.payload.connection).toMatchObject({ refresh_failures: 2, status: 'active' });
		expect(await deliveries(atFive)).toEqual([]);
		await admin('DELETE', `/v1/webhooks/${atTwo}`);
		await admin('DELETE', `/v1/webhooks/${atFive}`);
		await provider.control({ mode: 'ok' });
	});

	it('queues connection.refresh_failing when the failures jump past a threshold, once', async () => {
		const thresholds = [1, 3, 6] as const;
		const ids = await Promise.all(
			thresholds.map((refresh_failures) =>
				subscribe({
					url: receiver.url,
					events: ['connection.refresh_failing'],
					secret: SECRET,
					refresh_failures,
				}),
			),
		);
		const state = (refresh_failures: number) => ({
			client_id: 'acme',
			service: 'crm',
			status: 'active',
			refresh_failures,
			last_error: 'the provider answered 500',
		});
		// two failures counted at once: 1 -> 4 crosses 3 (not 1, already reached; not 6)
		await emitRefreshFailureEvents(vault.database.db, state(4), 1);
		// and the next single failure crosses nothing
		await emitRefreshFailureEvents(vault.database.db, state(5));
		const counts = await Promise.all(ids.map(async (id) => (await deliveries(id)).length));
		expect(counts).toEqual([0, 1, 0]);
		const [event] = await deliveries(ids[1]!);
		expect(event!.payload.connection).toMatchObject({ refresh_failures: 4 });
		for (const id of ids) await admin('DELETE', `/v1/webhooks/${id}`);
	});

	it('sends each queued delivery once with several workers, and pages the log by a keyset cursor', async () => {
		const many = await startWebhookReceiver();
		try {
			const id = await subscribe({ url: many.url, events: ['alert.resolved'], secret: SECRET });
			await vault.database.db.transaction(async (tx) => {
				for (let n = 0; n < 45; n++)
					await emitWebhookEvent(tx, 'alert.resolved', { alert: { id: n } });
			});
			const senders = [worker(), worker(), worker()];
			await vi.waitFor(async () => {
				await Promise.all(senders.map((s) => s.kick()));
				expect(many.received.length).toBeGreaterThanOrEqual(45);
			}, WAIT_BOUND);
			const ids = many.received.map((r) => r.headers['x-otobot-delivery']);
			expect(new Set(ids).size).toBe(45);
			expect(ids).toHaveLength(45);

			const seen: number[] = [];
			let before: number | null | undefined;
			do {
				const query = before ? `?limit=20&before=${before}` : '?limit=20';
				const page = (await admin('GET', `/v1/webhooks/${id}/deliveries${query}`)).json();
				expect(page.deliveries.length).toBeLessThanOrEqual(20);
				seen.push(...page.deliveries.map((d: any) => d.id));
				before = page.next_before;
			} while (before);
			expect(seen).toHaveLength(45);
			expect(new Set(seen).size).toBe(45);
			expect([...seen].sort((a, b) => b - a)).toEqual(seen);

			expect((await admin('DELETE', `/v1/webhooks/${id}`)).statusCode).toBe(204);
			expect(await deliveries(id)).toEqual([]);
		} finally {
			await many.close();
		}
	});

	it('queues api_token.expiring once per token about to expire, without the token', async () => {
		const id = await subscribe({
			url: receiver.url,
			events: ['api_token.expiring'],
			secret: SECRET,
		});
		const created = await admin('POST', '/v1/tokens', {
			name: 'n8n staging',
			scope: 'read',
			expires_in_days: 2,
		});
		await admin('POST', '/v1/tokens', { name: 'long lived', scope: 'read', expires_in_days: 90 });
		await evaluateAlerts(vault.database.db, vault.config.alerts, 0, 7);
		await evaluateAlerts(vault.database.db, vault.config.alerts, 0, 7);
		const queued = await deliveries(id);
		expect(queued).toHaveLength(1);
		expect(queued[0]!.payload.api_token).toMatchObject({
			id: created.json().id,
			name: 'n8n staging',
			scope: 'read',
		});
		expect(JSON.stringify(queued[0]!.payload)).not.toContain(created.json().token);
		await admin('DELETE', `/v1/webhooks/${id}`);
	});

	it('keeps the ALERT_WEBHOOK_URL subscription in step with the settings, its id and log kept', async () => {
		const db = vault.database.db;
		await syncAlertWebhookUrl(db, vault.vault.keyring, receiver.url, new Secret(SECRET));
		const first = (await admin('GET', '/v1/webhooks')).json().webhooks;
		const kept = first.find((w: any) => w.origin === 'alert_webhook_url');
		expect(kept).toMatchObject({ url: receiver.url, events: ['alert.opened', 'alert.resolved'] });
		await syncAlertWebhookUrl(db, vault.vault.keyring, `${receiver.url}/moved`, undefined);
		const moved = (await admin('GET', `/v1/webhooks/${kept.id}`)).json();
		expect(moved).toMatchObject({ url: `${receiver.url}/moved`, has_secret: false });
		await syncAlertWebhookUrl(db, vault.vault.keyring, undefined, undefined);
		expect((await admin('GET', `/v1/webhooks/${kept.id}`)).statusCode).toBe(404);
	});
});

describe('webhook URLs and the outbound rules', () => {
	let vault: TestVault | undefined;
	let receiver: Receiver | undefined;
	const workers: WebhookWorker[] = [];
	afterEach(async () => {
		await Promise.all(workers.splice(0).map((w) => w.stop()));
		await vault?.close();
		await receiver?.close();
		vault = undefined;
		receiver = undefined;
	});

	it('refuses http without ALLOW_INSECURE_OAUTH_URLS, and private addresses under refuse', async () => {
		vault = await startTestVault('pglite', { PROVIDER_PRIVATE_ADDRESSES: 'refuse' });
		for (const url of [
			'http://hooks.example.com/otobot',
			'https://127.0.0.1/hook',
			'https://[::1]/hook',
			'https://169.254.169.254/latest',
			'https://10.1.2.3/hook',
		]) {
			const response = await vault.app.inject({
				method: 'POST',
				url: '/v1/webhooks',
				headers: asAdmin,
				payload: { url, events: ['alert.opened'], secret: SECRET },
			});
			expect(response.statusCode, url).toBe(400);
			expect(response.json().code).toBe('VALIDATION_FAILED');
		}
	});

	it('refuses a password or user name in a webhook or service URL (400), never storing or echoing it', async () => {
		vault = await startTestVault('pglite', { ALLOW_INSECURE_OAUTH_URLS: 'true' });
		const send = (method: 'POST' | 'GET', url: string, payload?: object) =>
			vault!.app.inject({ method, url, headers: asAdmin, ...(payload ? { payload } : {}) });
		for (const url of [
			'https://hook-user:hunter2-password@hooks.example.com/otobot',
			'https://hook-user@hooks.example.com/otobot',
			'http://:hunter2-password@127.0.0.1:9/otobot',
		]) {
			const refused = await send('POST', '/v1/webhooks', {
				url,
				events: ['alert.opened'],
				secret: SECRET,
			});
			expect(refused.statusCode, url).toBe(400);
			expect(refused.json().code).toBe('VALIDATION_FAILED');
			expect(refused.json().message).toMatch(/^url must not hold a user name or password.*secret/);
			expect(refused.body).not.toContain('hunter2');
		}
		const service = await send('POST', '/v1/services', {
			name: 'crm-userinfo',
			display_name: 'CRM',
			oauth_type: 'oauth2',
			oauth_token_url: 'https://app:hunter2-password@crm.example.com/oauth/token',
		});
		expect(service.statusCode).toBe(400);
		expect(service.json().message).toMatch(
			/^oauth_token_url must not hold a user name or password/,
		);
		const listed = await send('GET', '/v1/webhooks');
		expect(listed.json().webhooks).toEqual([]);
		const stored = await vault.database.db.query(
			`SELECT url FROM webhooks UNION ALL SELECT oauth_token_url FROM services
			 WHERE oauth_token_url LIKE '%hunter2%'`,
		);
		expect(stored).toEqual([]);
		expect(() =>
			testConfig({ ALERT_WEBHOOK_URL: 'https://ops:hunter2-password@alerts.example.com/hook' }),
		).toThrow(/^ALERT_WEBHOOK_URL must not hold a user name or password/);
	});

	it('does not deliver to a host name that resolves to a private address under refuse, and logs why', async () => {
		receiver = await startWebhookReceiver();
		vault = await startTestVault('pglite', {
			PROVIDER_PRIVATE_ADDRESSES: 'refuse',
			ALLOW_INSECURE_OAUTH_URLS: 'true',
		});
		const url = receiver.url.replace('127.0.0.1', 'localhost');
		const created = await vault.app.inject({
			method: 'POST',
			url: '/v1/webhooks',
			headers: asAdmin,
			payload: { url, events: ['alert.opened'], secret: SECRET },
		});
		expect(created.statusCode).toBe(201);
		await emitWebhookEvent(vault.database.db, 'alert.opened', { alert: { id: 1 } });
		const sender = testWebhookWorker(vault);
		workers.push(sender);
		await sender.kick();
		const log = (
			await vault.app.inject({
				url: `/v1/webhooks/${created.json().id}/deliveries`,
				headers: asAdmin,
			})
		).json();
		expect(log.deliveries[0].attempt_log[0]).toMatchObject({
			http_status: null,
			error_class: 'private_address',
		});
		expect(log.deliveries[0].status).toBe('pending');
		expect(receiver.received).toEqual([]);
	});
});

describe('connection.connected', () => {
	let rig: ConnectRig | undefined;
	afterEach(async () => {
		await rig?.close();
		rig = undefined;
	});

	it('is queued when a client connects through a link, first time and again', async () => {
		rig = await startConnectRig('pglite');
		const created = await rig.vault.app.inject({
			method: 'POST',
			url: '/v1/webhooks',
			headers: asAdmin,
			payload: {
				url: 'https://hooks.example.com/otobot',
				events: ['connection.connected'],
				secret: SECRET,
			},
		});
		expect(created.statusCode).toBe(201);
		for (let round = 0; round < 2; round++) {
			const { callback } = await connectThroughBrowser(await createLink(rig, 'acme'));
			expect(callback.status).toBe(200);
		}
		const queued = await rig.vault.database.db.query<Record<string, any>>(
			`SELECT event, payload FROM webhook_deliveries ORDER BY id`,
		);
		expect(queued.map((d) => [d.event, d.payload.reconnected])).toEqual([
			['connection.connected', false],
			['connection.connected', true],
		]);
		expect(queued[0]!.payload.connection).toMatchObject({
			client_id: 'acme',
			service: SERVICE,
			status: 'active',
		});
		expect(JSON.stringify(queued)).not.toContain(APP_SECRET);
	});
});
