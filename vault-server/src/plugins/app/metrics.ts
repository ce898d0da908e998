import { createServer, type Server } from 'node:http';
import fp from 'fastify-plugin';
import { ListenFailed } from '../../config/listen-failure.js';
import { createVaultMetrics, type VaultMetrics } from '../../domain/metrics/vault-metrics.js';

declare module 'fastify' {
	interface FastifyInstance {
		metrics: VaultMetrics;
	}
}

/**
 * Prometheus metrics: request counts and latency by route template, credential fetches by
 * outcome. With METRICS_PORT, /metrics is also served on that port, unauthenticated, for a
 * scraper on a private network (bind HOST accordingly).
 */
export default fp(
	async (fastify) => {
		const metrics = createVaultMetrics(
			fastify.db,
			fastify.config,
			() => fastify.sharedLimits.mode === 'shared',
		);
		fastify.decorate('metrics', metrics);

		fastify.addHook('onResponse', async (request, reply) => {
			// the template, never the URL: ids in a path must not become labels
			const route = request.routeOptions.url ?? 'unmatched';
			const labels = { method: request.method, route, status_code: String(reply.statusCode) };
			metrics.httpRequests.inc(labels);
			metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
			if (request.routeOptions.config.action === 'credential.fetch') {
				metrics.credentialFetches.inc({
					outcome: reply.statusCode < 400 ? 'ok' : (request.errorCode ?? 'error'),
				});
			}
		});

		const port = fastify.config.metricsPort;
		if (port === undefined) return;
		let server: Server | undefined;
		fastify.addHook('onReady', async () => {
			server = createServer((request, response) => {
				if (request.method !== 'GET' || request.url !== '/metrics') {
					response.writeHead(404).end();
					return;
				}
				metrics.registry.metrics().then(
					(text) =>
						response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
					(error: unknown) => {
						fastify.log.error({ err: error }, 'metrics collection failed');
						response.writeHead(500).end();
					},
				);
			});
			// a failure here fails listen() (serve names METRICS_PORT), not an unhandled 'error' event
			await new Promise<void>((resolve, reject) => {
				server!.once('error', (error: NodeJS.ErrnoException) =>
					reject(new ListenFailed('METRICS_PORT', port, error)),
				);
				server!.listen(port, fastify.config.host, resolve);
			});
			fastify.log.info({ port }, 'metrics listening');
		});
		fastify.addHook('onClose', async () => {
			await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
		});
	},
	{ name: 'metrics', dependencies: ['database', 'shared-limits'] },
);
