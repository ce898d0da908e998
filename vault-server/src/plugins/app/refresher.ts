import fp from 'fastify-plugin';
import { ConnectionRefresher } from '../../oauth/connection-refresher.js';
import { DEFAULT_LOOP, startRefreshLoop } from '../../oauth/refresh-loop.js';

declare module 'fastify' {
	interface FastifyInstance {
		refresher: ConnectionRefresher;
	}
}

/** OAuth2 refresh for this app: on fetch always; in the background when REFRESHER_ENABLED. */
export default fp(
	async (fastify) => {
		const { refresher: settings, allowInsecureOAuthUrls } = fastify.config;
		const refresher = new ConnectionRefresher({
			db: fastify.db,
			keyring: fastify.keyring,
			audit: fastify.audit,
			log: fastify.log,
			skewSeconds: settings.skewSeconds,
			timeoutMs: settings.timeoutMs,
			allowInsecure: allowInsecureOAuthUrls,
		});
		fastify.decorate('refresher', refresher);
		if (!settings.enabled) return;
		let loop: ReturnType<typeof startRefreshLoop> | undefined;
		fastify.addHook('onReady', async () => {
			loop = startRefreshLoop(fastify.db, refresher, fastify.log, {
				...DEFAULT_LOOP,
				intervalMs: settings.intervalMs,
				concurrency: settings.concurrency,
			});
		});
		fastify.addHook('onClose', async () => loop?.stop());
	},
	{ name: 'refresher', dependencies: ['database', 'audit'] },
);
