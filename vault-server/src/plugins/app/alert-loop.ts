import fp from 'fastify-plugin';
import {
	startWebhookWorker,
	syncAlertWebhookFromConfig,
} from '../../domain/webhooks/webhook-worker-from-config.js';
import { startAlertLoop } from '../../domain/alerts/alert-loop.js';

/**
 * The alert evaluator inside `serve`: it runs where the background refresher runs (when
 * REFRESHER_ENABLED), as the separate `otobot-vault refresher` process runs both, with the
 * webhook delivery worker (domain/webhooks) it kicks after each evaluation. Every process keeps
 * the ALERT_WEBHOOK_URL subscription in step with its settings at start.
 */
export default fp(
	async (fastify) => {
		let loop: { stop(): Promise<void> } | undefined;
		fastify.addHook('onReady', async () => {
			await syncAlertWebhookFromConfig(fastify.config, fastify.db, fastify.keyring);
			if (!fastify.config.refresher.enabled) return;
			loop = startAlertLoop({
				db: fastify.db,
				settings: fastify.config.alerts,
				log: fastify.log,
				notifier: startWebhookWorker(fastify.config, fastify.db, fastify.keyring, fastify.log),
				tokenWarningDays: fastify.config.monitoring.tokenWarningDays,
				recorder: fastify.criticalErrors,
			});
		});
		fastify.addHook('onClose', async () => {
			await loop?.stop();
		});
	},
	{ name: 'alert-loop', dependencies: ['database', 'critical-errors'] },
);
