import { randomUUID } from 'node:crypto';
import type { Keyring } from '../../crypto/keyring.js';
import type { Database, Queryable } from '../../storage/database.js';
import { VaultError } from '../../errors.js';
import { isPrivateAddress, type PrivateAddressPolicy } from '../../oauth/address-policy.js';
import {
	credentialInQuery,
	credentialInQueryMessage,
	parseProviderUrl,
	urlProblemMessage,
} from '../../oauth/provider-url.js';
import { webhooksStore, type WebhookRow } from '../../storage/webhooks-store.js';
import {
	webhookDeliveriesStore,
	type DeliveryRow,
} from '../../storage/webhook-deliveries-store.js';
import type { WebhookEvent } from './webhook-events.js';

/** The additional data a subscription's secret is sealed with (crypto/envelope.ts). */
export const webhookSecretContext = (id: string) => JSON.stringify(['webhook', id, 'secret']);

export const DEFAULT_REFRESH_FAILURES = 3;

export interface NewWebhook {
	url: string;
	events: WebhookEvent[];
	secret: string;
	refresh_failures?: number;
}

export interface UrlRules {
	/** ALLOW_INSECURE_OAUTH_URLS: http is accepted too. */
	allowInsecureUrls: boolean;
	/** PROVIDER_PRIVATE_ADDRESSES: `refuse` turns away private IP literals at once. */
	privateAddresses: PrivateAddressPolicy;
}

/** A subscription as the API shows it: the secret only as a yes/no. */
export function publicWebhook(row: WebhookRow) {
	const { secret_ciphertext: secret, ...rest } = row;
	return { ...rest, has_secret: secret !== null };
}

export const webhookNotFound = (id: string) =>
	new VaultError('WEBHOOK_NOT_FOUND', `No webhook subscription with id '${id}'`);

/**
 * A receiver URL is an outbound URL like a provider's: https (http only with
 * ALLOW_INSECURE_OAUTH_URLS), no user name or password nor credential query parameter in it, and with PROVIDER_PRIVATE_ADDRESSES=refuse no private IP literal
 * (host names are judged by what they resolve to at each delivery, oauth/provider-http.ts).
 */
function checkUrl(value: string, rules: UrlRules): string {
	const checked = parseProviderUrl(value, rules.allowInsecureUrls);
	if ('problem' in checked) {
		throw new VaultError(
			'VALIDATION_FAILED',
			checked.problem === 'userinfo'
				? 'url must not hold a user name or password (user:password@): it would be stored and ' +
					'shown in clear; the receiver authenticates deliveries by their signature with the ' +
					'subscription secret (X-Otobot-Signature)'
				: urlProblemMessage('url', checked.problem),
		);
	}
	const parameter = credentialInQuery(checked.url);
	if (parameter !== undefined)
		throw new VaultError('VALIDATION_FAILED', credentialInQueryMessage('url', parameter));
	const host = checked.url.hostname;
	if (rules.privateAddresses === 'refuse' && isPrivateAddress(host))
		throw new VaultError(
			'VALIDATION_FAILED',
			`url is a private address (${host.replace(/^\[(.*)\]$/, '$1')}); ` +
				'set PROVIDER_PRIVATE_ADDRESSES=allow to permit',
		);
	return checked.url.toString();
}

/** Creates a subscription; its secret is sealed with the keyring and never answered. */
export async function createWebhook(
	q: Queryable,
	keyring: Keyring,
	input: NewWebhook,
	rules: UrlRules,
) {
	const url = checkUrl(input.url, rules);
	const id = randomUUID();
	const row = await webhooksStore(q).insert(id, {
		url,
		events: [...new Set(input.events)],
		secretCiphertext: keyring.encrypt(input.secret, webhookSecretContext(id)).ciphertext,
		refreshFailures: input.refresh_failures ?? DEFAULT_REFRESH_FAILURES,
	});
	return publicWebhook(row);
}

export async function listWebhooks(q: Queryable) {
	return (await webhooksStore(q).list()).map(publicWebhook);
}

export async function getWebhook(q: Queryable, id: string) {
	const row = await webhooksStore(q).get(id);
	if (!row) throw webhookNotFound(id);
	return publicWebhook(row);
}

/** Deletes a subscription with its queued deliveries and their log; WEBHOOK_NOT_FOUND if none. */
export async function deleteWebhook(q: Queryable, id: string): Promise<void> {
	if (!(await webhooksStore(q).delete(id))) throw webhookNotFound(id);
}

/** One page of a subscription's delivery log, newest first, and the cursor of the next page. */
export async function listDeliveries(
	q: Queryable,
	id: string,
	before: number | undefined,
	limit: number,
): Promise<{ deliveries: DeliveryRow[]; next_before: number | null }> {
	if (!(await webhooksStore(q).get(id))) throw webhookNotFound(id);
	const deliveries = await webhookDeliveriesStore(q).listForWebhook(id, before, limit);
	const next = deliveries.length === limit ? deliveries.at(-1)!.id : null;
	return { deliveries, next_before: next };
}

// one holder at a time: the secret is sealed to the row's id, which must not change under it
const ALERT_WEBHOOK_URL_LOCK = 774_211_903;

/**
 * Makes ALERT_WEBHOOK_URL (+ ALERT_WEBHOOK_SECRET) one subscription to `alert.*`, created or
 * updated at start (its delivery log kept), removed when the setting is gone. Safe when several
 * processes start at once.
 */
export async function syncAlertWebhookUrl(
	db: Database,
	keyring: Keyring,
	url: string | undefined,
	secret: { reveal(): string } | undefined,
): Promise<void> {
	await db.transaction(async (tx) => {
		await tx.query('SELECT pg_advisory_xact_lock($1)', [ALERT_WEBHOOK_URL_LOCK]);
		const store = webhooksStore(tx);
		if (url === undefined) return store.syncAlertWebhookUrl('', undefined);
		const id = (await store.alertWebhookUrlId()) ?? randomUUID();
		await store.syncAlertWebhookUrl(id, {
			url,
			events: ['alert.opened', 'alert.resolved'],
			secretCiphertext: secret
				? keyring.encrypt(secret.reveal(), webhookSecretContext(id)).ciphertext
				: null,
			refreshFailures: DEFAULT_REFRESH_FAILURES,
		});
	});
}
