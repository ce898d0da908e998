import type { FastifyBaseLogger } from 'fastify';
import type { AlertSettings } from '../../config/config.js';
import type { Database } from '../../storage/database.js';
import { alertsStore, type AlertRow } from '../../storage/alerts-store.js';
import { auditStore } from '../../storage/audit-store.js';
import { RULE_TITLES } from './alert-rules.js';
import {
	alertPayload,
	deliverWebhook,
	type AlertEvent,
	type WebhookTarget,
} from './alert-webhook.js';

const OUTBOX_HORIZON_MS = 86_400_000;
const OUTBOX_BATCH = 100;

/**
 * Sends the alerts' open and resolve notifications from the table (an outbox): an event whose
 * delivery failed, or whose process died, is sent by a later round. Rounds never overlap in a
 * process; an event older than a day is given up.
 */
export class AlertNotifier {
	#running: Promise<void> | undefined;
	readonly #stop = new AbortController();
	readonly #titles: ReturnType<typeof RULE_TITLES>;

	constructor(
		private readonly db: Database,
		private readonly settings: AlertSettings,
		private readonly log: FastifyBaseLogger,
		private readonly delivery: Pick<WebhookTarget, 'attempts' | 'baseDelayMs' | 'timeoutMs'> = {
			attempts: 5,
			baseDelayMs: 1000,
			timeoutMs: 5000,
		},
	) {
		this.#titles = RULE_TITLES(settings);
	}

	get enabled(): boolean {
		return this.settings.webhookUrl !== undefined;
	}

	/** Starts a round unless one is running; never throws. */
	kick(): Promise<void> {
		if (!this.enabled || this.#stop.signal.aborted) return Promise.resolve();
		this.#running ??= this.#round().finally(() => {
			this.#running = undefined;
		});
		return this.#running;
	}

	/** Ends the current round early (what it did not deliver stays in the outbox) and waits for it. */
	async stop(): Promise<void> {
		this.#stop.abort();
		while (this.#running) await this.#running;
	}

	/** Waits for the current round to finish. */
	async drain(): Promise<void> {
		while (this.#running) await this.#running;
	}

	async #round(): Promise<void> {
		try {
			const store = alertsStore(this.db);
			const pending = await store.unnotified(
				new Date(Date.now() - OUTBOX_HORIZON_MS),
				OUTBOX_BATCH,
			);
			for (const alert of pending) {
				if (this.#stop.signal.aborted) return;
				// a resolve is only sent after its open, so a receiver never sees them out of order
				const opened = alert.open_notified_at !== null || (await this.#send(alert, 'alert.opened'));
				if (opened && alert.status === 'resolved') await this.#send(alert, 'alert.resolved');
			}
		} catch (error) {
			this.log.error({ err: error }, 'alert notification round failed');
		}
	}

	async #send(alert: AlertRow, event: AlertEvent): Promise<boolean> {
		const target: WebhookTarget = {
			url: this.settings.webhookUrl!,
			secret: this.settings.webhookSecret,
			...this.delivery,
		};
		const kind = event === 'alert.opened' ? 'opened' : 'resolved';
		const head = await auditStore(this.db).readHead();
		const auditHead = {
			id: head?.last_id ?? 0,
			hash: head ? Buffer.from(head.last_hash).toString('hex') : '',
		};
		const ok = await deliverWebhook(
			target,
			alertPayload(event, alert, this.#titles[alert.rule], auditHead),
			`${alert.id}-${kind}`,
			this.#stop.signal,
		);
		if (ok) await alertsStore(this.db).markNotified(alert.id, kind);
		else
			this.log.warn(
				{ alertId: alert.id, rule: alert.rule, event },
				'alert webhook not delivered; will retry',
			);
		return ok;
	}
}
