import Type, { type Static, type TSchema } from 'typebox';
import { HOST_FORM } from './listen-address.js';
import { TRUST_PROXY_FORM } from './trust-proxy.js';

const url = (...schemes: string[]) =>
	Type.String({
		pattern: `^(${schemes.join('|')})://`,
		description: `a URL starting with ${schemes.map((scheme) => `${scheme}://`).join(' or ')}`,
	});

/** Every variable the vault reads, with its default; `description` says what a valid value is. */
export const EnvSchema = Type.Object({
	// any other value would quietly mean development (a generated key, private addresses allowed)
	NODE_ENV: Type.Union(
		['production', 'development', 'test'].map((mode) => Type.Literal(mode)),
		{ default: 'development' },
	),
	HOST: Type.String({ default: '127.0.0.1', description: HOST_FORM }),
	PORT: Type.Integer({ default: 3001, minimum: 0, maximum: 65535 }),
	PUBLIC_URL: Type.Optional(url('http', 'https')),
	LOG_LEVEL: Type.Union(
		['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
		{ default: 'info' },
	),
	LOG_FORMAT: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pretty')])),
	TRUST_PROXY: Type.String({ default: 'false', description: TRUST_PROXY_FORM }),
	LOG_REQUESTS: Type.Boolean({ default: false }),
	DATABASE_URL: Type.Optional(url('postgres', 'postgresql')),
	DATABASE_POOL_SIZE: Type.Integer({ default: 10, minimum: 1, maximum: 200 }),
	DATABASE_DIRECT_URL: Type.Optional(url('postgres', 'postgresql')),
	DATABASE_POOLER: Type.Union(
		['none', 'session', 'transaction'].map((pooler) => Type.Literal(pooler)),
		{ default: 'none' },
	),
	VAULT_DATA_DIR: Type.String({ default: './.vault-data', minLength: 1 }),
	ENCRYPTION_MASTER_KEY: Type.Optional(Type.String()),
	ENCRYPTION_MASTER_KEY_PREVIOUS: Type.Optional(Type.String()),
	KEYRING_RELOAD_SECONDS: Type.Integer({ default: 30, minimum: 1, maximum: 3600 }),
	ADMIN_API_TOKEN: Type.Optional(Type.String()),
	INTERNAL_API_TOKEN: Type.Optional(Type.String()),
	RATE_LIMIT_MAX: Type.Integer({ default: 1200, minimum: 1 }),
	RATE_LIMIT_WINDOW: Type.String({ default: '1 minute' }),
	AUTH_FAILURE_LIMIT: Type.Integer({ default: 20, minimum: 1 }),
	REDIS_URL: Type.Optional(url('redis', 'rediss')),
	REDIS_KEY_PREFIX: Type.String({
		default: 'otobot-vault:',
		pattern: '^[\\x21-\\x7e]{1,100}$',
		description: '1 to 100 printable characters without spaces',
	}),
	BODY_LIMIT_BYTES: Type.Integer({ default: 65_536, minimum: 1024, maximum: 10_485_760 }),
	REQUEST_TIMEOUT_SECONDS: Type.Integer({ default: 20, minimum: 1, maximum: 600 }),
	CONNECTION_IDLE_SECONDS: Type.Integer({ default: 60, minimum: 1, maximum: 3600 }),
	KEEP_ALIVE_SECONDS: Type.Integer({ default: 72, minimum: 1, maximum: 3600 }),
	MAX_CONNECTIONS_PER_ADDRESS: Type.Integer({ default: 256, minimum: 0, maximum: 1_000_000 }),
	TOKEN_CACHE_SECONDS: Type.Integer({ default: 5, minimum: 0, maximum: 300 }),
	FETCH_CACHE_SECONDS: Type.Integer({ default: 30, minimum: 0, maximum: 3600 }),
	REFRESHER_ENABLED: Type.Boolean({ default: true }),
	REFRESH_SKEW_SECONDS: Type.Integer({ default: 300, minimum: 0, maximum: 86_400 }),
	REFRESH_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 120_000 }),
	REFRESHER_INTERVAL_SECONDS: Type.Integer({ default: 30, minimum: 1, maximum: 3600 }),
	REFRESHER_CONCURRENCY: Type.Integer({ default: 4, minimum: 1, maximum: 64 }),
	REFRESH_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
	REFRESH_QUEUE_LIMIT: Type.Integer({ default: 200, minimum: 0, maximum: 100_000 }),
	MANUAL_REFRESH_INTERVAL_SECONDS: Type.Integer({ default: 30, minimum: 0, maximum: 86_400 }),
	ALLOW_INSECURE_OAUTH_URLS: Type.Boolean({ default: false }),
	PROVIDER_PRIVATE_ADDRESSES: Type.Optional(
		Type.Union([Type.Literal('refuse'), Type.Literal('allow')]),
	),
	ALERT_EXPIRED_DAYS: Type.Integer({ default: 7, minimum: 0, maximum: 3650 }),
	ALERT_REFRESH_FAILURES: Type.Integer({ default: 5, minimum: 0, maximum: 10_000 }),
	ALERT_UNUSED_DAYS: Type.Integer({ default: 30, minimum: 1, maximum: 3650 }),
	ALERT_CRITICAL_ERRORS: Type.Integer({ default: 1, minimum: 1, maximum: 1_000_000 }),
	ALERT_CRITICAL_WINDOW: Type.String({ default: '15 minutes' }),
	ALERT_EVALUATION_INTERVAL_SECONDS: Type.Integer({ default: 60, minimum: 1, maximum: 86_400 }),
	ALERT_WEBHOOK_URL: Type.Optional(url('http', 'https')),
	ALERT_WEBHOOK_SECRET: Type.Optional(
		Type.String({ minLength: 16, description: 'at least 16 characters' }),
	),
	MONITOR_UNUSED_DAYS: Type.Integer({ default: 30, minimum: 1, maximum: 3650 }),
	TOKEN_EXPIRY_WARNING_DAYS: Type.Integer({ default: 7, minimum: 1, maximum: 365 }),
	CONSOLE_ENABLED: Type.Boolean({ default: true }),
	CONSOLE_SESSION_IDLE: Type.String({ default: '8 hours' }),
	CONSOLE_SESSION_MAX: Type.String({ default: '24 hours' }),
	METRICS_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
	AUDIT_RETENTION_DAYS: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
	AUDIT_ARCHIVE_DIR: Type.Optional(Type.String({ minLength: 1 })),
});

export type Env = Static<typeof EnvSchema>;

interface SchemaFacts {
	type?: string;
	minimum?: number;
	maximum?: number;
	description?: string;
	anyOf?: { const?: unknown }[];
}

/** What a valid value of `variable` looks like, for a message: "a whole number from 1 to 200". */
export function expectedValue(variable: string): string {
	const schema = (EnvSchema.properties as Record<string, TSchema>)[variable] as SchemaFacts;
	if (schema.description) return schema.description;
	if (schema.anyOf) return `one of ${schema.anyOf.map((option) => option.const).join(', ')}`;
	if (schema.type === 'boolean') return 'true or false';
	if (schema.type === 'integer') {
		if (schema.maximum !== undefined) {
			return `a whole number from ${schema.minimum ?? 0} to ${schema.maximum}`;
		}
		return `a whole number of at least ${schema.minimum ?? 0}`;
	}
	return 'a non-empty value';
}
