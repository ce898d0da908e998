import { resolve } from 'node:path';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { Secret } from './secret.js';

const EnvSchema = Type.Object({
	NODE_ENV: Type.String({ default: 'development' }),
	HOST: Type.String({ default: '127.0.0.1' }),
	PORT: Type.Integer({ default: 3001, minimum: 0, maximum: 65535 }),
	PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
	LOG_LEVEL: Type.Union(
		['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
		{ default: 'info' },
	),
	TRUST_PROXY: Type.Boolean({ default: false }),
	LOG_REQUESTS: Type.Boolean({ default: false }),
	DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
	DATABASE_POOL_SIZE: Type.Integer({ default: 10, minimum: 1, maximum: 200 }),
	VAULT_DATA_DIR: Type.String({ default: './.vault-data', minLength: 1 }),
	ENCRYPTION_MASTER_KEY: Type.Optional(Type.String()),
	ENCRYPTION_MASTER_KEY_PREVIOUS: Type.Optional(Type.String()),
	KEYRING_RELOAD_SECONDS: Type.Integer({ default: 30, minimum: 1, maximum: 3600 }),
	ADMIN_API_TOKEN: Type.Optional(Type.String()),
	INTERNAL_API_TOKEN: Type.Optional(Type.String()),
	RATE_LIMIT_MAX: Type.Integer({ default: 1200, minimum: 1 }),
	RATE_LIMIT_WINDOW: Type.String({ default: '1 minute' }),
	AUTH_FAILURE_LIMIT: Type.Integer({ default: 20, minimum: 1 }),
	BODY_LIMIT_BYTES: Type.Integer({ default: 65_536, minimum: 1024, maximum: 10_485_760 }),
	TOKEN_CACHE_SECONDS: Type.Integer({ default: 5, minimum: 0, maximum: 300 }),
	FETCH_CACHE_SECONDS: Type.Integer({ default: 30, minimum: 0, maximum: 3600 }),
	REFRESHER_ENABLED: Type.Boolean({ default: true }),
	REFRESH_SKEW_SECONDS: Type.Integer({ default: 300, minimum: 0, maximum: 86_400 }),
	REFRESH_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 120_000 }),
	REFRESHER_INTERVAL_SECONDS: Type.Integer({ default: 30, minimum: 1, maximum: 3600 }),
	REFRESHER_CONCURRENCY: Type.Integer({ default: 4, minimum: 1, maximum: 64 }),
	ALLOW_INSECURE_OAUTH_URLS: Type.Boolean({ default: false }),
	ALERT_EXPIRED_DAYS: Type.Integer({ default: 7, minimum: 0, maximum: 3650 }),
	ALERT_REFRESH_FAILURES: Type.Integer({ default: 5, minimum: 0, maximum: 10_000 }),
	ALERT_UNUSED_DAYS: Type.Integer({ default: 30, minimum: 1, maximum: 3650 }),
	ALERT_CRITICAL_ERRORS: Type.Integer({ default: 1, minimum: 1, maximum: 1_000_000 }),
	ALERT_CRITICAL_WINDOW: Type.String({ default: '15 minutes' }),
	ALERT_EVALUATION_INTERVAL_SECONDS: Type.Integer({ default: 60, minimum: 1, maximum: 86_400 }),
	ALERT_WEBHOOK_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
	ALERT_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 16 })),
	MONITOR_UNUSED_DAYS: Type.Integer({ default: 30, minimum: 1, maximum: 3650 }),
	TOKEN_EXPIRY_WARNING_DAYS: Type.Integer({ default: 7, minimum: 1, maximum: 365 }),
	METRICS_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
});

type Env = Static<typeof EnvSchema>;

export interface Config {
	production: boolean;
	host: string;
	port: number;
	publicUrl: string;
	logLevel: Env['LOG_LEVEL'];
	trustProxy: boolean;
	/** A log line per request (the audit log records every /v1 request either way). */
	logRequests: boolean;
	databaseUrl: Secret | undefined;
	databasePoolSize: number;
	dataDir: string;
	masterKeyHex: Secret | undefined;
	/** The master key being replaced: the data keys are re-wrapped from it at start. */
	previousMasterKeyHex: Secret | undefined;
	/** How often a running process reloads its data keys, so a rotation reaches it. */
	keyringReloadMs: number;
	adminTokens: Secret[];
	internalTokens: Secret[];
	rateLimit: { max: number; windowMs: number; authFailures: number };
	bodyLimitBytes: number;
	tokenCacheSeconds: number;
	/** How long a fetched connection row is kept in memory at most (0: never); see fetch-cache.ts. */
	fetchCacheSeconds: number;
	refresher: {
		enabled: boolean;
		skewSeconds: number;
		timeoutMs: number;
		intervalMs: number;
		concurrency: number;
	};
	allowInsecureOAuthUrls: boolean;
	/** Where this machine reaches its own API: PUBLIC_URL when set, else HOST:PORT. */
	apiUrl: string;
	alerts: AlertSettings;
	monitoring: { unusedDays: number; tokenWarningDays: number };
	/** A separate, unauthenticated port for /metrics; unset: /metrics on the API port, admin only. */
	metricsPort: number | undefined;
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

export class ConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ConfigError';
	}
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `1 minute`, `2 hours`, `500ms` or a plain number of milliseconds. */
export function parseDuration(value: string, variable: string): number {
	const match = /^(\d+)\s*(ms|s|sec|seconds?|m|min|minutes?|h|hours?)?$/i.exec(value.trim());
	if (!match) throw new ConfigError(`${variable} must be a duration such as '1 minute' or '30s'`);
	const unit = (match[2] ?? 'ms').toLowerCase();
	const key = unit === 'ms' ? 'ms' : unit[0]!;
	return Number(match[1]) * UNIT_MS[key]!;
}

const splitTokens = (value: string | undefined): Secret[] =>
	(value ?? '')
		.split(',')
		.map((token) => token.trim())
		.filter((token) => token.length > 0)
		.map((token) => new Secret(token));

/** Parses and validates the environment once, at start. Messages name the variable, never its value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
	const raw = Object.fromEntries(
		Object.keys(EnvSchema.properties).flatMap((key) =>
			env[key] === undefined || env[key] === '' ? [] : [[key, env[key]]],
		),
	);
	const parsed = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw)) as Env;
	const problems = [...Value.Errors(EnvSchema, parsed)].map(
		(error) => `${error.instancePath.slice(1)} ${error.message}`,
	);
	if (problems.length > 0) throw new ConfigError(`Invalid environment: ${problems.join('; ')}`);

	const localHost = ['0.0.0.0', '::', ''].includes(parsed.HOST) ? '127.0.0.1' : parsed.HOST;
	const tokens = [
		...splitTokens(parsed.ADMIN_API_TOKEN),
		...splitTokens(parsed.INTERNAL_API_TOKEN),
	];
	if (tokens.some((token) => token.reveal().length < 16)) {
		throw new ConfigError(
			'ADMIN_API_TOKEN and INTERNAL_API_TOKEN values must be at least 16 characters',
		);
	}

	return {
		production: parsed.NODE_ENV === 'production',
		host: parsed.HOST,
		port: parsed.PORT,
		publicUrl: (parsed.PUBLIC_URL ?? `http://localhost:${parsed.PORT}`).replace(/\/+$/, ''),
		logLevel: parsed.LOG_LEVEL,
		trustProxy: parsed.TRUST_PROXY,
		logRequests: parsed.LOG_REQUESTS,
		databaseUrl: parsed.DATABASE_URL ? new Secret(parsed.DATABASE_URL) : undefined,
		databasePoolSize: parsed.DATABASE_POOL_SIZE,
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
		bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
		tokenCacheSeconds: parsed.TOKEN_CACHE_SECONDS,
		fetchCacheSeconds: parsed.FETCH_CACHE_SECONDS,
		refresher: {
			enabled: parsed.REFRESHER_ENABLED,
			skewSeconds: parsed.REFRESH_SKEW_SECONDS,
			timeoutMs: parsed.REFRESH_TIMEOUT_MS,
			intervalMs: parsed.REFRESHER_INTERVAL_SECONDS * 1000,
			concurrency: parsed.REFRESHER_CONCURRENCY,
		},
		allowInsecureOAuthUrls: parsed.ALLOW_INSECURE_OAUTH_URLS,
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
		metricsPort: parsed.METRICS_PORT,
	};
}
