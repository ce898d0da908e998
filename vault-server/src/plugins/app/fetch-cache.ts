import fp from 'fastify-plugin';
import type { Config } from '../../config/config.js';
import { FETCH_CACHE_CHANNEL, FetchCache } from '../../domain/fetch-cache.js';
import { registerFetchCacheMetrics } from '../../domain/metrics/fetch-cache-metrics.js';

declare module 'fastify' {
	interface FastifyInstance {
		fetchCache: FetchCache;
	}
}

const MAX_ENTRIES = 50_000;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

const canListen = (config: Pick<Config, 'databasePooler' | 'databaseDirectUrl'>) =>
	config.databasePooler !== 'transaction' || config.databaseDirectUrl !== undefined;

/**
 * The connection rows credential fetches read, kept while the database's change notifications
 * arrive (domain/fetch-cache.ts). Changes made elsewhere arrive by NOTIFY; a change made through
 * this app empties the cache before its answer leaves, so its caller reads its own write.
 */
export default fp(
	async (fastify) => {
		const cache = new FetchCache({
			ttlMs: fastify.config.fetchCacheSeconds * 1000,
			maxEntries: MAX_ENTRIES,
		});
		fastify.decorate('fetchCache', cache);
		registerFetchCacheMetrics(fastify.metrics.registry, cache);
		if (fastify.config.fetchCacheSeconds === 0) return;
		if (fastify.db.kind === 'postgres' && !canListen(fastify.config)) {
			// a transaction pooler hands the session to other clients: a LISTEN through it hears nothing
			fastify.log.warn(
				'fetch cache off: DATABASE_POOLER=transaction needs DATABASE_DIRECT_URL for its change notifications',
			);
			return;
		}

		const stop = await fastify.db.listen(FETCH_CACHE_CHANNEL, {
			notify: (payload) => cache.invalidate(payload),
			listening: (up) => {
				cache.setListening(up);
				if (!up) fastify.log.warn('fetch cache off until change notifications resume');
			},
		});
		fastify.addHook('onClose', () => stop());

		// a write, or the OAuth callback and connect pages that store connections (GET included)
		fastify.addHook('onSend', async (request, _reply, payload) => {
			if (
				!READS.has(request.method) ||
				request.url.startsWith('/oauth/') ||
				request.url.startsWith('/connect/')
			) {
				cache.invalidate();
			}
			return payload;
		});
	},
	{ name: 'fetch-cache', dependencies: ['database', 'metrics'] },
);
