import fp from 'fastify-plugin';
import type { ConnectionRefresher } from '../../domain/refresh/connection-refresher.js';
import { startRefreshLoop } from '../../domain/refresh/refresh-loop.js';
import {
	refreshLoopFromConfig,
	refresherFromConfig,
} from '../../domain/refresh/refresher-from-config.js';
import { AlertNotifier } from '../../domain/alerts/alert-notifier.js';
import { startAlertLoop } from '../../domain/alerts/alert-loop.js';
import { fetchCacheKey } from '../../domain/fetch-cache.js';

declare module 'fastify' {
	interface FastifyInstance {
		refresher: ConnectionRefresher;
	}
}

/**
 * OAuth2 refresh for this app: on fetch always; in the background when REFRESHER_ENABLED, with
 * the alert evaluator beside it (the separate `otobot-vault refresher` process runs both too).
 */
export default fp(
	async (fastify) => {
		const settings = fastify.config.refresher;
		const refresher = refresherFromConfig(fastify.config, {
			db: fastify.db,
			keyring: fastify.keyring,
			audit: fastify.audit,
			log: fastify.log,
			onOutcome: (trigger, outcome) => fastify.metrics.refreshes.inc({ trigger, outcome }),
			onSettled: (clientId, service) =>
				fastify.fetchCache.invalidate(fetchCacheKey(clientId, service)),
		});
		fastify.decorate('refresher', refresher);
		if (!settings.enabled) return;
		let loops: { stop(): Promise<void> }[] = [];
		fastify.addHook('onReady', async () => {
			const refreshLoop = startRefreshLoop(
				fastify.db,
				refresher,
				fastify.log,
				refreshLoopFromConfig(fastify.config),
			);
			const alertLoop = startAlertLoop({
				db: fastify.db,
				settings: fastify.config.alerts,
				log: fastify.log,
				notifier: new AlertNotifier(fastify.db, fastify.config.alerts, fastify.log),
				recorder: fastify.criticalErrors,
			});
			loops = [refreshLoop, alertLoop];
		});
		fastify.addHook('onClose', async () => {
			await Promise.all(loops.map((loop) => loop.stop()));
		});
	},
	{
		name: 'refresher',
		dependencies: ['database', 'audit', 'metrics', 'critical-errors', 'fetch-cache'],
	},
);
