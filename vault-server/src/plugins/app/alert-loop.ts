import fp from 'fastify-plugin';
import { AlertNotifier } from '../../domain/alerts/alert-notifier.js';
import { startAlertLoop } from '../../domain/alerts/alert-loop.js';

/**
 * The alert evaluator inside `serve`: it runs where the background refresher runs (when
 * REFRESHER_ENABLED), as the separate `otobot-vault refresher` process runs both.
 */
export default fp(
	async (fastify) => {
		if (!fastify.config.refresher.enabled) return;
		let loop: { stop(): Promise<void> } | undefined;
		fastify.addHook('onReady', async () => {
			loop = startAlertLoop({
				db: fastify.db,
				settings: fastify.config.alerts,
				log: fastify.log,
				notifier: new AlertNotifier(fastify.db, fastify.config.alerts, fastify.log),
				recorder: fastify.criticalErrors,
			});
		});
		fastify.addHook('onClose', async () => {
			await loop?.stop();
		});
	},
	{ name: 'alert-loop', dependencies: ['database', 'critical-errors'] },
);
