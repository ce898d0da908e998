import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import type { Config, HttpLimits } from './config/config.js';
import type { TrustProxy } from './config/trust-proxy.js';
import { capConnectionsPerAddress } from './http/connection-cap.js';
import { lazyChildLoggerFactory, loggerOptions } from './config/logger.js';
import type { Keyring } from './crypto/keyring.js';
import type { Database } from './storage/database.js';
import databasePlugin from './plugins/external/database.js';
import swaggerPlugin from './plugins/external/swagger.js';
import rateLimitPlugin from './plugins/external/rate-limit.js';
import sharedLimitsPlugin from './plugins/external/shared-limits.js';
import authPlugin from './plugins/app/auth.js';
import auditPlugin from './plugins/app/audit.js';
import writeTransactionPlugin from './plugins/app/write-transaction.js';
import refresherPlugin from './plugins/app/refresher.js';
import alertLoopPlugin from './plugins/app/alert-loop.js';
import auditMaintenancePlugin from './plugins/app/audit-maintenance.js';
import fetchCachePlugin from './plugins/app/fetch-cache.js';
import keyringReloadPlugin from './plugins/app/keyring-reload.js';
import metricsPlugin from './plugins/app/metrics.js';
import criticalErrorsPlugin from './plugins/app/critical-errors.js';
import securityHeadersPlugin from './plugins/app/security-headers.js';
import errorHandlerPlugin, { frameworkError } from './plugins/app/error-handler.js';
import { clientError } from './http/client-error.js';
import { requestValidatorCompiler } from './routes/request-validator.js';
import healthRoutes from './routes/health.js';
import clientRoutes from './routes/v1/clients.js';
import serviceRoutes from './routes/v1/services.js';
import connectionRoutes from './routes/v1/connections.js';
import credentialRoutes from './routes/v1/credentials.js';
import credentialBatchRoutes from './routes/v1/credentials-batch.js';
import tokenRoutes from './routes/v1/tokens.js';
import sessionRoutes from './routes/v1/sessions.js';
import auditRoutes from './routes/v1/audit.js';
import connectLinkRoutes from './routes/v1/connect-links.js';
import connectRoutes from './routes/connect/connect.js';
import consoleRoutes from './routes/console/console-assets.js';
import brandingRoutes from './routes/v1/branding.js';
import brandingAssetRoutes from './routes/branding-assets.js';
import monitoringRoutes from './routes/v1/monitoring.js';
import alertRoutes from './routes/v1/alerts.js';
import keyRoutes from './routes/v1/keys.js';
import webhookRoutes from './routes/v1/webhooks.js';
import diagnosticsRoutes from './routes/v1/diagnostics.js';
import metricsRoutes from './routes/metrics.js';
import { VERSION } from './version.js';

declare module 'fastify' {
	interface FastifyInstance {
		config: Config;
		keyring: Keyring;
	}
}

export interface AppOptions {
	config: Config;
	db: Database;
	keyring: Keyring;
	/** Close the database with the app (the server does; tests that share one database do not). */
	closeDatabase?: boolean;
	/** Where log lines go; tests pass a stream to search them for secrets. */
	logStream?: NodeJS.WritableStream;
}

/**
 * Fastify's server limits from HTTP_* config: a request that trickles its headers or body is cut
 * once REQUEST_TIMEOUT_SECONDS have passed (Node checks every `connectionsCheckingInterval`, so at
 * most a quarter of the timeout, and never more than 5 s, later), a silent socket after
 * CONNECTION_IDLE_SECONDS, an idle keep-alive socket after KEEP_ALIVE_SECONDS.
 */
function httpServerOptions(limits: HttpLimits) {
	return {
		requestTimeout: limits.requestTimeoutMs,
		connectionTimeout: limits.connectionIdleMs,
		keepAliveTimeout: limits.keepAliveMs,
		http: {
			requestTimeout: limits.requestTimeoutMs,
			headersTimeout: limits.requestTimeoutMs,
			connectionsCheckingInterval: Math.min(5_000, Math.ceil(limits.requestTimeoutMs / 4)),
		},
	};
}

/**
 * TRUST_PROXY as Fastify's types take it: a hop count as the function Fastify itself builds from
 * one (believe the `hops` addresses nearest the vault), since its types omit the number form.
 */
function fastifyTrustProxy(trust: TrustProxy) {
	if (typeof trust !== 'number') return trust;
	return (_address: string, hop: number) => hop < trust;
}

/** The vault as a Fastify instance, ready to listen or to be called with `inject`. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
	const { config } = options;
	const logger = loggerOptions(config.logLevel);
	const fastify = Fastify({
		logger: options.logStream ? { ...logger, stream: options.logStream } : logger,
		trustProxy: fastifyTrustProxy(config.trustProxy),
		logController: new LogController({ disableRequestLogging: !config.logRequests }),
		childLoggerFactory: lazyChildLoggerFactory,
		bodyLimit: config.bodyLimitBytes,
		genReqId: () => randomUUID(),
		routerOptions: { maxParamLength: 256 },
		frameworkErrors: frameworkError,
		clientErrorHandler: clientError,
		...httpServerOptions(config.http),
	}).withTypeProvider<TypeBoxTypeProvider>();
	capConnectionsPerAddress(fastify.server, config.http.maxConnectionsPerAddress);

	fastify.setValidatorCompiler(requestValidatorCompiler());
	fastify.decorate('config', config);
	fastify.decorate('keyring', options.keyring);

	await fastify.register(errorHandlerPlugin);
	await fastify.register(securityHeadersPlugin);
	await fastify.register(databasePlugin, {
		db: options.db,
		closeOnExit: options.closeDatabase ?? false,
	});
	await fastify.register(swaggerPlugin, { version: VERSION });
	await fastify.register(sharedLimitsPlugin, {
		redisUrl: config.redis.url,
		keyPrefix: config.redis.keyPrefix,
	});
	await fastify.register(authPlugin, {
		admin: config.adminTokens,
		internal: config.internalTokens,
		cacheSeconds: config.tokenCacheSeconds,
		failureLimit: config.rateLimit.authFailures,
		windowMs: config.rateLimit.windowMs,
		sessions: config.console.enabled ? config.console : undefined,
		publicUrl: config.publicUrl,
	});
	await fastify.register(rateLimitPlugin, {
		max: config.rateLimit.max,
		windowMs: config.rateLimit.windowMs,
	});
	await fastify.register(metricsPlugin);
	await fastify.register(criticalErrorsPlugin);
	await fastify.register(writeTransactionPlugin);
	await fastify.register(auditPlugin);
	await fastify.register(fetchCachePlugin);
	await fastify.register(refresherPlugin);
	await fastify.register(alertLoopPlugin);
	await fastify.register(auditMaintenancePlugin);
	await fastify.register(keyringReloadPlugin);

	await fastify.register(healthRoutes, { version: VERSION });
	await fastify.register(metricsRoutes);
	await fastify.register(
		async (v1) => {
			await v1.register(clientRoutes);
			await v1.register(serviceRoutes, {
				allowInsecureUrls: config.allowInsecureOAuthUrls,
				privateAddresses: config.providerPrivateAddresses,
			});
			await v1.register(connectionRoutes);
			await v1.register(credentialRoutes);
			await v1.register(credentialBatchRoutes);
			await v1.register(tokenRoutes);
			if (config.console.enabled) await v1.register(sessionRoutes);
			await v1.register(auditRoutes);
			await v1.register(connectLinkRoutes);
			await v1.register(monitoringRoutes);
			await v1.register(alertRoutes);
			await v1.register(keyRoutes);
			await v1.register(webhookRoutes, {
				allowInsecureUrls: config.allowInsecureOAuthUrls,
				privateAddresses: config.providerPrivateAddresses,
			});
			await v1.register(diagnosticsRoutes);
			await v1.register(brandingRoutes);
		},
		{ prefix: '/v1' },
	);
	await fastify.register(connectRoutes);
	if (config.console.enabled) await fastify.register(consoleRoutes);
	await fastify.register(brandingAssetRoutes);
	return fastify;
}
