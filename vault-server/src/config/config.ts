import { resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import { EnvSchema, type Env } from './env-schema.js';
import { PROCESS_ENVIRONMENT } from './environment.js';
import { Secret } from './secret.js';
import { STRONG_TOKEN_RULE, weakTokenVariables } from './token-strength.js';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';
import { DURATION, validateEnv } from './validate-env.js';
import { misspeltVariables } from './misspelt-variables.js';

export { ConfigError } from './config-error.js';

export interface Config {
	production: boolean;
	host: string;
	port: number;
	publicUrl: string;
	logLevel: Env['LOG_LEVEL'];
	/** `auto`: readable lines on a terminal, JSON lines otherwise (LOG_FORMAT forces one). */
	logFormat: 'json' | 'pretty' | 'auto';
	/** Whose X-Forwarded-For is believed: no one, a hop count or proxy addresses (trust-proxy.ts). */
	trustProxy: TrustProxy;
	/** A log line per request (the audit log records every /v1 request either way). */
	logRequests: boolean;
	databaseUrl: Secret | undefined;
	databasePoolSize: number;
	/**
	 * The server itself, past a pooler, for what needs a session of its own: the fetch cache's
	 * LISTEN and migrations (docs/DEPLOYMENT.md, "PgBouncer"). Unset: DATABASE_URL.
	 */
	databaseDirectUrl: Secret | undefined;
	/**
	 * What DATABASE_URL points at: the server or a session pooler (`none`, `session`), or a
	 * transaction pooler (`transaction`: statements unprepared, no LISTEN through it).
	 */
	databasePooler: Env['DATABASE_POOLER'];
	dataDir: string;
	masterKeyHex: Secret | undefined;
	/** The master key being replaced: the data keys are re-wrapped from it at start. */
	previousMasterKeyHex: Secret | undefined;
	/** How often a running process reloads its data keys, so a rotation reaches it. */
	keyringReloadMs: number;
	adminTokens: Secret[];
	internalTokens: Secret[];
	rateLimit: { max: number; windowMs: number; authFailures: number };
	/** Where the rate limit and the failure guard count across processes; unset: per process. */
	redis: { url: Secret | undefined; keyPrefix: string };
	bodyLimitBytes: number;
	/** The HTTP server's limits against slow or hoarding callers; see httpServerOptions (app.ts). */
	http: HttpLimits;
	tokenCacheSeconds: number;
	/** How long a fetched connection row is kept in memory at most (0: never); see fetch-cache.ts. */
	fetchCacheSeconds: number;
	refresher: {
		enabled: boolean;
		skewSeconds: number;
		timeoutMs: number;
		intervalMs: number;
		concurrency: number;
		/**
		 * Provider calls at once for refreshes that callers wait on (fetches, manual refreshes):
		 * REFRESH_CONCURRENCY, by default min(4, pool size - 2) and at least 1.
		 */
		callerConcurrency: number;
		/** Callers that may wait for a free slot; beyond it a fetch answers 503 REFRESH_BUSY. */
		callerQueueLimit: number;
		/** A manual refresh of a connection renewed less than this long ago makes no provider call. */
		manualIntervalMs: number;
	};
	allowInsecureOAuthUrls: boolean;
	/**
	 * PROVIDER_PRIVATE_ADDRESSES: whether token and test URLs may reach loopback, private,
	 * link-local or metadata addresses (oauth/address-policy.ts). `refuse` by default in
	 * production, `allow` elsewhere (the embedded dev set-up and the tests use a local provider).
	 */
	providerPrivateAddresses: NonNullable<Env['PROVIDER_PRIVATE_ADDRESSES']>;
	/** Where this machine reaches its own API: PUBLIC_URL when set, else HOST:PORT. */
	apiUrl: string;
	alerts: AlertSettings;
	monitoring: { unusedDays: number; tokenWarningDays: number };
	audit: AuditRetention;
	/**
	 * The operator console at /console (CONSOLE_ENABLED) and its sessions' idle and absolute
	 * lifetimes (CONSOLE_SESSION_IDLE, CONSOLE_SESSION_MAX).
	 */
	console: { enabled: boolean; idleMs: number; maxMs: number };
	/** A separate, unauthenticated port for /metrics; unset: /metrics on the API port, admin only. */
	metricsPort: number | undefined;
	/** Where each variable that was set came from: "the environment" or a `.env` file's path. */
	sources: Readonly<Record<string, string>>;
	/** What outside production is allowed but would be refused in it (weak tokens); serve logs them. */
	warnings: string[];
}

export interface HttpLimits {
	/** A request's headers and body must have arrived within this, or its socket is closed. */
	requestTimeoutMs: number;
	/** A socket with no traffic either way for this long is closed. */
	connectionIdleMs: number;
	/** How long an idle keep-alive socket is kept for its next request. */
	keepAliveMs: number;
	/** Sockets one peer address may hold open; 0: no cap. */
	maxConnectionsPerAddress: number;
}

export interface AlertSettings {
	expiredDays: number;
	/** An alert opens when refresh_failures is more than this. */
	refreshFailures: number;
	unusedDays: number;
	criticalErrors: number;
	criticalWindowMs: number;
	intervalMs: number;
	webhookUrl: string | undefined;
	webhookSecret: Secret | undefined;
}

/**
 * AUDIT_RETENTION_DAYS and AUDIT_ARCHIVE_DIR: rows older than the retention (whole months) are
 * archived into the folder, then removed (domain/audit-maintenance.ts). Unset: keep everything.
 */
export interface AuditRetention {
	retentionDays: number | undefined;
	archiveDir: string | undefined;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `1 minute`, `2 hours`, `500ms` or a plain number of milliseconds. */
export function parseDuration(value: string, variable: string): number {
	const match = DURATION.exec(value.trim());
	if (!match) throw new ConfigError(`${variable} must be a duration such as '1 minute' or '30s'`);
	const unit = (match[2] ?? 'ms').toLowerCase();
	const key = unit === 'ms' ? 'ms' : unit[0]!;
	return Number(match[1]) * UNIT_MS[key]!;
}

/** TRUST_PROXY as Fastify takes it; validateEnv has refused every value this cannot parse. */
function trustProxyOf(value: string): TrustProxy {
	const parsed = parseTrustProxy(value);
	if ('problem' in parsed) throw new ConfigError(`TRUST_PROXY ${parsed.problem}`);
	return parsed.value;
}

function auditRetentionOf(parsed: Env): AuditRetention {
	if (parsed.AUDIT_RETENTION_DAYS !== undefined && parsed.AUDIT_ARCHIVE_DIR === undefined) {
		throw new ConfigError(
			'AUDIT_RETENTION_DAYS is set but AUDIT_ARCHIVE_DIR is not: rows are removed only after ' +
				'they are archived, so set AUDIT_ARCHIVE_DIR to the folder the archives go to',
		);
	}
	return {
		retentionDays: parsed.AUDIT_RETENTION_DAYS,
		archiveDir:
			parsed.AUDIT_ARCHIVE_DIR === undefined ? undefined : resolve(parsed.AUDIT_ARCHIVE_DIR),
	};
}

const splitTokens = (value: string | undefined): Secret[] =>
	(value ?? '')
		.split(',')
		.map((token) => token.trim())
		.filter((token) => token.length > 0)
		.map((token) => new Secret(token));

/**
 * Parses and validates the environment once, at start, before anything opens a file or the
 * database (see validate-env.ts). `files` maps each variable a `.env` file set to that file's
 * path (readEnvironment), and each a flag set to that flag (flagSource); the others came from the
 * process environment. Throws ConfigError, whose
 * message names each wrong variable and where it was set, never its value.
 */
export function loadConfig(
	env: NodeJS.ProcessEnv = process.env,
	files: Record<string, string> = {},
): Config {
	const parsed = validateEnv(env, files);
	const sources = Object.fromEntries(
		Object.keys(EnvSchema.properties).flatMap((key) =>
			parsed[key as keyof Env] === undefined || (env[key] ?? '') === ''
				? []
				: [[key, files[key] ?? PROCESS_ENVIRONMENT]],
		),
	);
	const localHost = ['0.0.0.0', '::', ''].includes(parsed.HOST) ? '127.0.0.1' : parsed.HOST;
	return {
		production: parsed.NODE_ENV === 'production',
		host: parsed.HOST,
		port: parsed.PORT,
		publicUrl: (parsed.PUBLIC_URL ?? `http://localhost:${parsed.PORT}`).replace(/\/+$/, ''),
		logLevel: parsed.LOG_LEVEL,
		logFormat: parsed.LOG_FORMAT ?? 'auto',
		trustProxy: trustProxyOf(parsed.TRUST_PROXY),
		logRequests: parsed.LOG_REQUESTS,
		databaseUrl: parsed.DATABASE_URL ? new Secret(parsed.DATABASE_URL) : undefined,
		databasePoolSize: parsed.DATABASE_POOL_SIZE,
		databaseDirectUrl: parsed.DATABASE_DIRECT_URL
			? new Secret(parsed.DATABASE_DIRECT_URL)
			: undefined,
		databasePooler: parsed.DATABASE_POOLER,
		dataDir: resolve(parsed.VAULT_DATA_DIR),
		masterKeyHex: parsed.ENCRYPTION_MASTER_KEY
			? new Secret(parsed.ENCRYPTION_MASTER_KEY)
			: undefined,
		previousMasterKeyHex: parsed.ENCRYPTION_MASTER_KEY_PREVIOUS
			? new Secret(parsed.ENCRYPTION_MASTER_KEY_PREVIOUS)
			: undefined,
		keyringReloadMs: parsed.KEYRING_RELOAD_SECONDS * 1000,
		adminTokens: splitTokens(parsed.ADMIN_API_TOKEN),
		internalTokens: splitTokens(parsed.INTERNAL_API_TOKEN),
		rateLimit: {
			max: parsed.RATE_LIMIT_MAX,
			windowMs: parseDuration(parsed.RATE_LIMIT_WINDOW, 'RATE_LIMIT_WINDOW'),
			authFailures: parsed.AUTH_FAILURE_LIMIT,
		},
		redis: {
			url: parsed.REDIS_URL ? new Secret(parsed.REDIS_URL) : undefined,
			keyPrefix: parsed.REDIS_KEY_PREFIX,
		},
		bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
		http: {
			requestTimeoutMs: parsed.REQUEST_TIMEOUT_SECONDS * 1000,
			connectionIdleMs: parsed.CONNECTION_IDLE_SECONDS * 1000,
			keepAliveMs: parsed.KEEP_ALIVE_SECONDS * 1000,
			maxConnectionsPerAddress: parsed.MAX_CONNECTIONS_PER_ADDRESS,
		},
		tokenCacheSeconds: parsed.TOKEN_CACHE_SECONDS,
		fetchCacheSeconds: parsed.FETCH_CACHE_SECONDS,
		refresher: {
			enabled: parsed.REFRESHER_ENABLED,
			skewSeconds: parsed.REFRESH_SKEW_SECONDS,
			timeoutMs: parsed.REFRESH_TIMEOUT_MS,
			intervalMs: parsed.REFRESHER_INTERVAL_SECONDS * 1000,
			concurrency: parsed.REFRESHER_CONCURRENCY,
			callerConcurrency:
				parsed.REFRESH_CONCURRENCY ?? Math.max(1, Math.min(4, parsed.DATABASE_POOL_SIZE - 2)),
			callerQueueLimit: parsed.REFRESH_QUEUE_LIMIT,
			manualIntervalMs: parsed.MANUAL_REFRESH_INTERVAL_SECONDS * 1000,
		},
		allowInsecureOAuthUrls: parsed.ALLOW_INSECURE_OAUTH_URLS,
		providerPrivateAddresses:
			parsed.PROVIDER_PRIVATE_ADDRESSES ?? (parsed.NODE_ENV === 'production' ? 'refuse' : 'allow'),
		apiUrl: (
			parsed.PUBLIC_URL ??
			`http://${localHost.includes(':') ? `[${localHost}]` : localHost}:${parsed.PORT}`
		).replace(/\/+$/, ''),
		alerts: {
			expiredDays: parsed.ALERT_EXPIRED_DAYS,
			refreshFailures: parsed.ALERT_REFRESH_FAILURES,
			unusedDays: parsed.ALERT_UNUSED_DAYS,
			criticalErrors: parsed.ALERT_CRITICAL_ERRORS,
			criticalWindowMs: parseDuration(parsed.ALERT_CRITICAL_WINDOW, 'ALERT_CRITICAL_WINDOW'),
			intervalMs: parsed.ALERT_EVALUATION_INTERVAL_SECONDS * 1000,
			webhookUrl: parsed.ALERT_WEBHOOK_URL,
			webhookSecret: parsed.ALERT_WEBHOOK_SECRET
				? new Secret(parsed.ALERT_WEBHOOK_SECRET)
				: undefined,
		},
		monitoring: {
			unusedDays: parsed.MONITOR_UNUSED_DAYS,
			tokenWarningDays: parsed.TOKEN_EXPIRY_WARNING_DAYS,
		},
		console: {
			enabled: parsed.CONSOLE_ENABLED,
			idleMs: parseDuration(parsed.CONSOLE_SESSION_IDLE, 'CONSOLE_SESSION_IDLE'),
			maxMs: parseDuration(parsed.CONSOLE_SESSION_MAX, 'CONSOLE_SESSION_MAX'),
		},
		metricsPort: parsed.METRICS_PORT,
		audit: auditRetentionOf(parsed),
		sources,
		warnings: [
			...weakTokenVariables(parsed).map(
				(variable) =>
					`${variable} ${STRONG_TOKEN_RULE}; NODE_ENV=production refuses it (set in ${sources[variable]})`,
			),
			...embeddedInProduction(parsed, sources),
			...misspeltVariables(files, Object.keys(EnvSchema.properties)),
		],
	};
}

/**
 * NODE_ENV=production on the embedded database: allowed (one process on one machine can run so),
 * but said at start, since .env.example and the README make DATABASE_URL part of production.
 */
function embeddedInProduction(parsed: Env, sources: Record<string, string>): string[] {
	if (parsed.NODE_ENV !== 'production' || parsed.DATABASE_URL !== undefined) return [];
	return [
		`NODE_ENV=production (set in ${sources.NODE_ENV}) but DATABASE_URL is not set: the vault ` +
			`runs on the embedded database (PGlite) in ${resolve(parsed.VAULT_DATA_DIR)}, which serves ` +
			'one process and has no replication; set DATABASE_URL for PostgreSQL',
	];
}
