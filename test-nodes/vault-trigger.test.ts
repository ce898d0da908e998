import { createHmac, randomUUID } from 'node:crypto';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IHookFunctions,
	IWebhookFunctions,
} from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OtobotVaultTrigger } from '../nodes/OtobotVaultTrigger/OtobotVaultTrigger.node';
import {
	RecentDeliveries,
	TIMESTAMP_TOLERANCE_SECONDS,
	verifyDelivery,
} from '../shared/webhookDelivery';
import { httpRequestWithAuthentication, node } from './execute-context';
import { startRealVault, type RealVault } from './real-vault';

const SECRET = 'a'.repeat(64);
const now = () => Math.floor(Date.now() / 1000);

/** A delivery signed as the vault signs one (vault-server/src/domain/webhooks/webhook-signature.ts). */
function delivery(
	body: object,
	options: { secret?: string; timestamp?: number; id?: string } = {},
) {
	const raw = JSON.stringify(body);
	const timestamp = String(options.timestamp ?? now());
	const signature = createHmac('sha256', options.secret ?? SECRET)
		.update(`${timestamp}.${raw}`)
		.digest('hex');
	return {
		raw: Buffer.from(raw),
		headers: {
			'x-otobot-signature': `sha256=${signature}`,
			'x-otobot-timestamp': timestamp,
			'x-otobot-delivery': options.id ?? randomUUID(),
			'content-type': 'application/json',
		} as Record<string, string>,
	};
}

describe('verifyDelivery', () => {
	it('accepts a delivery signed with the secret, within the time window', () => {
		const { raw, headers } = delivery({ event: 'connection.needs_reauth' });
		expect(verifyDelivery(headers, raw, SECRET, now())).toEqual({
			ok: true,
			deliveryId: headers['x-otobot-delivery'],
		});
	});

	it('refuses a wrong secret, a changed body, a missing signature and a stale or future timestamp', () => {
		const signed = delivery({ event: 'alert.opened' });
		const code = (headers: Record<string, string>, raw = signed.raw, at = now()) => {
			const verdict = verifyDelivery(headers, raw, SECRET, at);
			return verdict.ok ? 'ok' : verdict.code;
		};
		expect(code(delivery({ event: 'alert.opened' }, { secret: 'b'.repeat(64) }).headers)).toBe(
			'SIGNATURE_INVALID',
		);
		expect(code(signed.headers, Buffer.from('{"event":"alert.resolved"}'))).toBe(
			'SIGNATURE_INVALID',
		);
		expect(code({ ...signed.headers, 'x-otobot-signature': 'sha256=00' })).toBe(
			'SIGNATURE_INVALID',
		);
		const { 'x-otobot-signature': _, ...unsigned } = signed.headers;
		expect(code(unsigned)).toBe('SIGNATURE_MISSING');
		expect(code({ ...signed.headers, 'x-otobot-timestamp': 'soon' })).toBe('TIMESTAMP_INVALID');
		const old = delivery({}, { timestamp: now() - TIMESTAMP_TOLERANCE_SECONDS - 5 });
		expect(code(old.headers, old.raw)).toBe('TIMESTAMP_OUT_OF_RANGE');
		const future = delivery({}, { timestamp: now() + TIMESTAMP_TOLERANCE_SECONDS + 5 });
		expect(code(future.headers, future.raw)).toBe('TIMESTAMP_OUT_OF_RANGE');
	});

	it('remembers delivery ids within the window, and forgets the oldest past its capacity', () => {
		const recent = new RecentDeliveries(2);
		expect(recent.firstSighting('a', 1000)).toBe(true);
		expect(recent.firstSighting('a', 1001)).toBe(false);
		expect(recent.firstSighting('b', 1002)).toBe(true);
		expect(recent.firstSighting('c', 1003)).toBe(true);
		expect(recent.firstSighting('a', 1004)).toBe(true);
	});
});

/** The slice of IWebhookFunctions the trigger uses, with the answer it sent captured. */
function webhookContext(raw: Buffer, headers: Record<string, string>, staticData: IDataObject) {
	const answer: { status?: number; body?: unknown } = {};
	const response = {
		status(code: number) {
			answer.status = code;
			return response;
		},
		json(body: unknown) {
			answer.body = body;
			return response;
		},
	};
	const context = {
		getRequestObject: () => ({ rawBody: raw }),
		getResponseObject: () => response,
		getHeaderData: () => headers,
		getBodyData: () => JSON.parse(raw.toString('utf8')),
		getWorkflowStaticData: () => staticData,
		helpers: { returnJsonArray: (data: IDataObject) => [{ json: data }] },
	};
	return { context: context as unknown as IWebhookFunctions, answer };
}

describe('Otobot Vault Trigger webhook', () => {
	const trigger = new OtobotVaultTrigger();
	const staticData = { webhookId: randomUUID(), webhookSecret: SECRET };

	it('starts the workflow with the event once, answers a replay without running, refuses a bad signature', async () => {
		const event = {
			id: randomUUID(),
			event: 'connection.needs_reauth',
			connection: { client_id: 'acme' },
		};
		const signed = delivery(event, { id: event.id });
		const first = webhookContext(signed.raw, signed.headers, staticData);
		expect(await trigger.webhook.call(first.context)).toEqual({
			workflowData: [[{ json: event }]],
		});

		const replay = webhookContext(signed.raw, signed.headers, staticData);
		expect(await trigger.webhook.call(replay.context)).toEqual({ noWebhookResponse: true });
		expect(replay.answer).toEqual({ status: 200, body: { status: 'duplicate' } });

		const forged = delivery(event, { secret: 'c'.repeat(64) });
		const refused = webhookContext(forged.raw, forged.headers, staticData);
		expect(await trigger.webhook.call(refused.context)).toEqual({ noWebhookResponse: true });
		expect(refused.answer).toMatchObject({ status: 401, body: { code: 'SIGNATURE_INVALID' } });
	});

	it('refuses every delivery while it holds no subscription secret', async () => {
		const signed = delivery({ event: 'alert.opened' });
		const unsubscribed = webhookContext(signed.raw, signed.headers, {});
		expect(await trigger.webhook.call(unsubscribed.context)).toEqual({ noWebhookResponse: true });
		expect(unsubscribed.answer.status).toBe(401);
	});
});

describe('Otobot Vault Trigger subscription lifecycle against the real vault', () => {
	let vault: RealVault;
	let adminToken: string;
	const trigger = new OtobotVaultTrigger();
	const webhookUrl = 'http://127.0.0.1:5678/webhook/unit-trigger/webhook';

	beforeAll(async () => {
		vault = await startRealVault('otobot_trigger_unit');
		adminToken = (
			(await vault.admin('POST', '/v1/tokens', { name: 'trigger', scope: 'admin' })) as {
				token: string;
			}
		).token;
	});
	afterAll(async () => {
		await vault?.stop();
	});

	function hookContext(
		token: string,
		parameters: Record<string, unknown>,
		staticData: IDataObject,
	): IHookFunctions {
		const credential: ICredentialDataDecryptedObject = {
			vaultUrl: vault.url,
			internalToken: token,
			clientId: 'acme',
			service: 'google',
		};
		return {
			getNode: () => ({ ...node, name: 'Otobot Vault Trigger' }),
			getCredentials: async () => credential,
			getNodeParameter: (name: string, fallback?: unknown) => parameters[name] ?? fallback,
			getNodeWebhookUrl: () => webhookUrl,
			getWorkflowStaticData: () => staticData,
			helpers: {
				httpRequestWithAuthentication: (_name: string, options: never) =>
					httpRequestWithAuthentication(credential, options),
			},
		} as unknown as IHookFunctions;
	}

	const listed = async () =>
		((await vault.admin('GET', '/v1/webhooks')) as { webhooks: Array<Record<string, unknown>> })
			.webhooks;

	it('creates the subscription, finds it while it matches, and deletes it on deactivation', async () => {
		const methods = trigger.webhookMethods.default;
		const staticData: IDataObject = {};
		const parameters = {
			events: ['connection.needs_reauth', 'connection.refresh_failing'],
			options: { refreshFailures: 4 },
		};
		const context = hookContext(adminToken, parameters, staticData);
		expect(await methods.checkExists.call(context)).toBe(false);
		expect(await methods.create.call(context)).toBe(true);
		expect(staticData.webhookSecret).toMatch(/^[0-9a-f]{64}$/);
		const [subscription] = (await listed()).filter((w) => w.id === staticData.webhookId);
		expect(subscription).toMatchObject({
			url: webhookUrl,
			events: parameters.events,
			refresh_failures: 4,
			has_secret: true,
		});
		expect(JSON.stringify(subscription)).not.toContain(String(staticData.webhookSecret));
		expect(await methods.checkExists.call(context)).toBe(true);

		const changed = hookContext(
			adminToken,
			{ ...parameters, events: ['alert.opened'] },
			staticData,
		);
		expect(await methods.checkExists.call(changed)).toBe(false);

		expect(await methods.delete.call(context)).toBe(true);
		expect(staticData).toEqual({});
		expect((await listed()).map((w) => w.id)).not.toContain(subscription!.id);
		expect(await methods.checkExists.call(context)).toBe(false);
	});

	it('says the credential needs an admin-scope token when the vault answers 403', async () => {
		const context = hookContext(vault.internalToken, { events: ['alert.opened'] }, {});
		await expect(trigger.webhookMethods.default.create.call(context)).rejects.toMatchObject({
			description: expect.stringContaining('admin-scope token'),
		});
	});
});
