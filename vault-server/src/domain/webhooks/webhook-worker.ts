import type { FastifyBaseLogger } from 'fastify';
import type { Keyring } from '../../crypto/keyring.js';
import { Secret } from '../../config/secret.js';
import type { Database } from '../../storage/database.js';
import { auditStore } from '../../storage/audit-store.js';
import {
	webhookDeliveriesStore,
	type AttemptRecord,
	type ClaimedDelivery,
} from '../../storage/webhook-deliveries-store.js';
import type { PrivateAddressPolicy } from '../../oauth/address-policy.js';
import { startPeriodicTask } from '../../periodic-task.js';
import { nextAttemptAt } from './webhook-backoff.js';
import { postDelivery } from './webhook-post.js';
import { webhookSecretContext } from './webhook-subscriptions.js';

export interface WebhookWorkerOptions {
	/** How often due deliveries are looked for, in milliseconds. */
	pollMs: number;
	/** The wait after a first failed attempt, doubled after each further one (webhook-backoff.ts). */
	baseDelayMs: number;
	/** One POST, connection to the answer's last byte, in milliseconds. */
	timeoutMs: number;
	privateAddresses: PrivateAddressPolicy;
}

const BATCH = 20;

/** A 4xx other than 408, 425 and 429 (RFC 9110 §15.5) is the receiver refusing: not retried. */
const refusedForGood = (status: number | null) =>
	status !== null && status >= 400 && status < 500 && ![408, 425, 429].includes(status);

/**
 * Sends the queued deliveries (the `webhook_deliveries` outbox), in `serve` and in
 * `otobot-vault refresher` beside the alert loop. Each round claims due rows under a lease, so
 * several processes share the work and a row is sent by one at a time; a process that dies holds
 * its rows only until the lease ends. Every attempt is logged; a failure is retried with
 * exponential backoff for 24 hours.
 */
export class WebhookWorker {
	#running: Promise<void> | undefined;
	#loop: { stop(): Promise<void> } | undefined;
	readonly #stop = new AbortController();

	constructor(
		private readonly db: Database,
		private readonly keyring: Keyring,
		private readonly log: FastifyBaseLogger,
		private readonly options: WebhookWorkerOptions,
	) {}

	/** Polls every `pollMs` until stopped. */
	start(): this {
		this.#loop ??= startPeriodicTask(async () => {
			await this.kick();
			return this.options.pollMs;
		});
		return this;
	}

	/** Runs a round now unless one is running (then waits for it); never throws. */
	kick(): Promise<void> {
		if (this.#stop.signal.aborted) return Promise.resolve();
		this.#running ??= this.#rounds().finally(() => {
			this.#running = undefined;
		});
		return this.#running;
	}

	/** Stops polling and waits for the round under way; what it did not send stays queued. */
	async stop(): Promise<void> {
		this.#stop.abort();
		await this.#loop?.stop();
		while (this.#running) await this.#running;
	}

	async #rounds(): Promise<void> {
		try {
			// a lease long enough for a whole batch sent one after another
			const leaseMs = (this.options.timeoutMs + 1000) * BATCH;
			for (;;) {
				if (this.#stop.signal.aborted) return;
				const claimed = await webhookDeliveriesStore(this.db).claimDue(BATCH, leaseMs);
				for (const delivery of claimed) await this.#send(delivery);
				if (claimed.length < BATCH) return;
			}
		} catch (error) {
			this.log.error({ err: error }, 'webhook delivery round failed');
		}
	}

	async #send(delivery: ClaimedDelivery): Promise<void> {
		const secret = delivery.secret_ciphertext
			? new Secret(
					await this.keyring.decryptText(
						delivery.secret_ciphertext,
						webhookSecretContext(delivery.webhook_id),
					),
				)
			: undefined;
		const head = await auditStore(this.db).readHead();
		const body = JSON.stringify({
			id: delivery.delivery_id,
			event: delivery.event,
			...delivery.payload,
			audit_head: {
				id: head?.last_id ?? 0,
				hash: head ? Buffer.from(head.last_hash).toString('hex') : '',
			},
			sent_at: new Date().toISOString(),
		});
		const result = await postDelivery(delivery, body, secret, this.options);
		const attempts = delivery.attempts + 1;
		const retryAt =
			result.delivered || refusedForGood(result.httpStatus)
				? undefined
				: nextAttemptAt(attempts, delivery.created_at, this.options.baseDelayMs);
		const outcome: AttemptRecord['outcome'] = result.delivered
			? { status: 'delivered' }
			: retryAt
				? { status: 'pending', nextAttemptAt: retryAt }
				: { status: 'failed' };
		await webhookDeliveriesStore(this.db).recordAttempt(delivery.id, { ...result, outcome });
		if (!result.delivered)
			this.log.warn(
				{
					webhookId: delivery.webhook_id,
					deliveryId: delivery.delivery_id,
					event: delivery.event,
					httpStatus: result.httpStatus,
					errorClass: result.errorClass,
					attempts,
					outcome: outcome.status,
				},
				outcome.status === 'failed'
					? 'webhook delivery given up'
					: 'webhook not delivered; will retry',
			);
	}
}
