import fp from 'fastify-plugin';
import type { ConnectionRefresher } from '../../domain/refresh/connection-refresher.js';
import { startRefreshLoop } from '../../domain/refresh/refresh-loop.js';
import {
	refreshLoopFromConfig,
	refresherFromConfig,
} from '../../domain/refresh/refresher-from-config.js';
import { fetchCacheKey } from '../../domain/fetch-cache.js';

declare module 'fastify' {
	interface FastifyInstance {
		refresher: ConnectionRefresher;
	}
}

/**
 * OAuth2 refresh for this app: on fetch always; in the background when REFRESHER_ENABLED (the
 * separate `otobot-vault refresher` process runs the same loop).
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
		let loop: { stop(): Promise<void> } | undefined;
		fastify.addHook('onReady', async () => {
			loop = startRefreshLoop(
				fastify.db,
				refresher,
				fastify.log,
				refreshLoopFromConfig(fastify.config),
			);
		});
		fastify.addHook('onClose', async () => {
			await loop?.stop();
		});
	},
	{
		name: 'refresher',
		dependencies: ['database', 'audit', 'metrics', 'fetch-cache'],
	},
);
