import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config.js';
import type { Keyring } from '../../crypto/keyring.js';
import type { Database } from '../../storage/database.js';
import { WebhookWorker } from './webhook-worker.js';
import { syncAlertWebhookUrl } from './webhook-subscriptions.js';

/** Keeps the ALERT_WEBHOOK_URL subscription in step with the settings (at each start). */
export const syncAlertWebhookFromConfig = (config: Config, db: Database, keyring: Keyring) =>
	syncAlertWebhookUrl(db, keyring, config.alerts.webhookUrl, config.alerts.webhookSecret);

/** Due deliveries are looked for this often (a process that queued one also starts a round). */
const POLL_MS = 5_000;
/** The first retry waits 10 s; then 20 s, 40 s, … up to an hour between tries, for 24 hours. */
const BASE_DELAY_MS = 10_000;
const TIMEOUT_MS = 10_000;

/** Starts the delivery worker with the vault's outbound rules (PROVIDER_PRIVATE_ADDRESSES). */
export function startWebhookWorker(
	config: Config,
	db: Database,
	keyring: Keyring,
	log: FastifyBaseLogger,
): WebhookWorker {
	return new WebhookWorker(db, keyring, log, {
		pollMs: POLL_MS,
		baseDelayMs: BASE_DELAY_MS,
		timeoutMs: TIMEOUT_MS,
		privateAddresses: config.providerPrivateAddresses,
	}).start();
}
