import { randomBytes } from 'node:crypto';
import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IHookFunctions,
	type JsonObject,
} from 'n8n-workflow';

import { checkVaultUrl, readVaultCredential } from '../../shared/vaultCredential';

const CREDENTIAL = 'otobotDatabaseApi';
const CREDENTIAL_NAME = 'Otobot Database Credential';

/** What the node keeps of its vault subscription in the workflow's static data. */
export interface SubscriptionState {
	webhookId?: string;
	/** The signing secret the node chose when it subscribed; never leaves n8n but to the vault. */
	webhookSecret?: string;
}

interface VaultAnswer {
	statusCode: number;
	body: IDataObject;
}

/** Sends one request to the vault's /v1/webhooks API with the credential's token (admin scope). */
async function vaultRequest(
	context: IHookFunctions,
	method: 'GET' | 'POST' | 'DELETE',
	path: string,
	body?: IDataObject,
): Promise<VaultAnswer> {
	const settings = readVaultCredential(await context.getCredentials(CREDENTIAL));
	const base = checkVaultUrl(settings.vaultUrl, CREDENTIAL_NAME);
	const answer = (await context.helpers.httpRequestWithAuthentication.call(context, CREDENTIAL, {
		method,
		url: `${base}${path}`,
		body,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: 30_000,
	})) as { statusCode: number; body: unknown };
	const parsed = answer.body && typeof answer.body === 'object' ? (answer.body as IDataObject) : {};
	return { statusCode: answer.statusCode, body: parsed };
}

function refused(context: IHookFunctions, answer: VaultAnswer, doing: string): NodeApiError {
	const hint =
		answer.statusCode === 403
			? 'The trigger manages webhook subscriptions: its credential needs an admin-scope token.'
			: undefined;
	return new NodeApiError(context.getNode(), answer.body as JsonObject, {
		message: `The Otobot Vault refused to ${doing} (HTTP ${answer.statusCode}${
			typeof answer.body.code === 'string' ? `, ${answer.body.code}` : ''
		})`,
		description:
			hint ?? (typeof answer.body.message === 'string' ? answer.body.message : undefined),
		httpCode: String(answer.statusCode),
	});
}

const sameEvents = (a: unknown, b: string[]) =>
	Array.isArray(a) && a.length === b.length && b.every((event) => a.includes(event));

/**
 * n8n's `checkExists`: whether the subscription in the static data still exists in the vault
 * with this webhook URL and these events. A gone one is forgotten, so `create` makes a new one.
 */
export async function checkExists(this: IHookFunctions): Promise<boolean> {
	const state = this.getWorkflowStaticData('node') as SubscriptionState;
	if (!state.webhookId || !state.webhookSecret) return false;
	const answer = await vaultRequest(this, 'GET', `/v1/webhooks/${state.webhookId}`);
	if (answer.statusCode === 404) {
		delete state.webhookId;
		delete state.webhookSecret;
		return false;
	}
	if (answer.statusCode !== 200) throw refused(this, answer, 'read the webhook subscription');
	const events = this.getNodeParameter('events') as string[];
	return (
		answer.body.url === this.getNodeWebhookUrl('default') && sameEvents(answer.body.events, events)
	);
}

/** n8n's `create`: subscribes this workflow's webhook URL with a new random signing secret. */
export async function create(this: IHookFunctions): Promise<boolean> {
	const events = this.getNodeParameter('events') as string[];
	if (events.length === 0)
		throw new NodeOperationError(this.getNode(), 'Choose at least one event to trigger on');
	const options = this.getNodeParameter('options', {}) as { refreshFailures?: number };
	const state = this.getWorkflowStaticData('node') as SubscriptionState;
	if (state.webhookId) await remove(this, state);
	const secret = randomBytes(32).toString('hex');
	const answer = await vaultRequest(this, 'POST', '/v1/webhooks', {
		url: this.getNodeWebhookUrl('default'),
		events,
		secret,
		...(options.refreshFailures ? { refresh_failures: options.refreshFailures } : {}),
	});
	if (answer.statusCode !== 201) throw refused(this, answer, 'create the webhook subscription');
	state.webhookId = String(answer.body.id);
	state.webhookSecret = secret;
	return true;
}

async function remove(context: IHookFunctions, state: SubscriptionState): Promise<void> {
	const answer = await vaultRequest(context, 'DELETE', `/v1/webhooks/${state.webhookId}`);
	if (answer.statusCode !== 204 && answer.statusCode !== 404)
		throw refused(context, answer, 'delete the webhook subscription');
	delete state.webhookId;
	delete state.webhookSecret;
}

/** n8n's `delete` (the workflow is deactivated): removes the subscription from the vault. */
export async function deleteSubscription(this: IHookFunctions): Promise<boolean> {
	const state = this.getWorkflowStaticData('node') as SubscriptionState;
	if (!state.webhookId) return true;
	await remove(this, state);
	return true;
}
