import Value from 'typebox/value';
import { ConfigError } from './config-error.js';
import { firstHostUrl } from './database-url.js';
import { EnvSchema, expectedValue, type Env } from './env-schema.js';
import { PROCESS_ENVIRONMENT } from './environment.js';
import { STRONG_TOKEN_RULE, TOKEN_VARIABLES, weakTokenVariables } from './token-strength.js';
import { HOST_FORM, isListenHost } from './listen-address.js';
import { parseTrustProxy } from './trust-proxy.js';

const MASTER_KEY = /^[0-9a-fA-F]{64}$/;
const MASTER_KEY_FORM =
	'64 hexadecimal characters (32 bytes), e.g. the output of `openssl rand -hex 32`';

/** Reads one variable's problem as a message: what it must be, and where it was set. */
type Problem = (variable: string, problem: string) => string;

/** Where a variable's value came from: "set in <source>", or "the default" when it was not set. */
type Origin = (variable: string) => string;

const isWholeNumberVariable = (variable: string): boolean =>
	(EnvSchema.properties as Record<string, { type?: string }>)[variable]?.type === 'integer';

/**
 * The environment's values, typed and checked against EnvSchema and the rules between variables
 * (token lengths, strong tokens and a master key in production, master key form), before anything opens a file or
 * the database. `files` maps a variable to the `.env` (or the flag) that set it. An empty value counts
 * as unset.
 * Throws one ConfigError listing every problem on one line, each naming its variable and source.
 */
export function validateEnv(env: NodeJS.ProcessEnv, files: Record<string, string> = {}): Env {
	const raw: Record<string, string> = Object.fromEntries(
		Object.keys(EnvSchema.properties).flatMap((key) =>
			env[key] === undefined || env[key] === '' ? [] : [[key, env[key]]],
		),
	);
	const origin: Origin = (variable) =>
		raw[variable] === undefined
			? 'the default'
			: `set in ${files[variable] ?? PROCESS_ENVIRONMENT}`;
	const problem: Problem = (variable, text) => `${variable} ${text} (${origin(variable)})`;
	// Default and Convert change the object they are given: raw keeps the text as it was written
	const parsed = Value.Convert(EnvSchema, Value.Default(EnvSchema, { ...raw })) as Env;
	const invalid = new Set([...Value.Errors(EnvSchema, parsed)].map((e) => e.instancePath.slice(1)));
	// Convert reads `0x10`, `1e3` or ` 4107` as numbers; the flags (--port) refuse them, so do we
	for (const [variable, text] of Object.entries(raw)) {
		if (isWholeNumberVariable(variable) && !/^\d+$/.test(text)) invalid.add(variable);
	}
	const problems = [...invalid].map((variable) =>
		problem(variable, `must be ${expectedValue(variable)}`),
	);
	if (problems.length === 0) problems.push(...crossChecks(parsed, problem, origin, files));
	if (problems.length > 0) throw new ConfigError(problems.join('; '));
	return parsed;
}

function crossChecks(
	env: Env,
	problem: Problem,
	origin: Origin,
	files: Record<string, string>,
): string[] {
	const problems: string[] = [];
	if (!isListenHost(env.HOST)) problems.push(problem('HOST', `must be ${HOST_FORM}`));
	if (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.PORT) {
		problems.push(
			`METRICS_PORT ${env.METRICS_PORT} (${origin('METRICS_PORT')}) is the API's PORT too ` +
				`(${origin('PORT')}): the metrics listener needs a port of its own`,
		);
	}
	for (const variable of ['PUBLIC_URL', 'ALERT_WEBHOOK_URL', 'REDIS_URL'] as const) {
		const value = env[variable];
		if (value !== undefined && !URL.canParse(value)) {
			problems.push(problem(variable, 'is not a valid URL'));
		}
	}
	// shown by GET /v1/webhooks: a password in it would be too; the secret signs the deliveries
	const alertUrl = env.ALERT_WEBHOOK_URL;
	if (alertUrl !== undefined && URL.canParse(alertUrl)) {
		const { username, password } = new URL(alertUrl);
		if (username !== '' || password !== '')
			problems.push(
				problem(
					'ALERT_WEBHOOK_URL',
					'must not hold a user name or password (user:password@); set ALERT_WEBHOOK_SECRET, ' +
						'with which the receiver checks each delivery',
				),
			);
	}
	for (const variable of ['DATABASE_URL', 'DATABASE_DIRECT_URL'] as const) {
		const value = env[variable];
		if (value !== undefined && !isConnectionUrl(firstHostUrl(value))) {
			problems.push(
				problem(
					variable,
					'is not a valid connection URL (postgres://user:password@host:port/database, or ' +
						'host1:port1,host2:port2 for several hosts; percent-encode @, /, :, # and % in ' +
						'the user name and password)',
				),
			);
		}
	}
	if (env.DATABASE_URL === undefined) {
		if (env.DATABASE_DIRECT_URL !== undefined)
			problems.push(problem('DATABASE_DIRECT_URL', 'needs DATABASE_URL (the pooler) set too'));
		if (env.DATABASE_POOLER !== 'none')
			problems.push(problem('DATABASE_POOLER', 'needs DATABASE_URL (the pooler) set too'));
	}
	if (env.REDIS_URL !== undefined && !isConnectionUrl(env.REDIS_URL)) {
		problems.push(
			problem(
				'REDIS_URL',
				'is not a valid Redis URL (redis://:password@host:port/db or rediss:// for TLS; ' +
					'percent-encode @, /, :, # and % in the password)',
			),
		);
	}
	const weak = new Set(env.NODE_ENV === 'production' ? weakTokenVariables(env) : []);
	for (const variable of TOKEN_VARIABLES) {
		const tokens = (env[variable] ?? '').split(',').map((token) => token.trim());
		if (tokens.some((token) => token.length > 0 && token.length < 16)) {
			problems.push(problem(variable, 'values must be at least 16 characters each'));
		} else if (weak.has(variable)) {
			problems.push(problem(variable, `${STRONG_TOKEN_RULE} (NODE_ENV=production)`));
		}
	}
	for (const variable of ['ENCRYPTION_MASTER_KEY', 'ENCRYPTION_MASTER_KEY_PREVIOUS'] as const) {
		const value = env[variable];
		if (value !== undefined && !MASTER_KEY.test(value.trim())) {
			problems.push(problem(variable, `must be ${MASTER_KEY_FORM}`));
		}
	}
	if (env.NODE_ENV === 'production' && env.ENCRYPTION_MASTER_KEY === undefined) {
		problems.push(
			`ENCRYPTION_MASTER_KEY is not set, and NODE_ENV=production (set in ` +
				`${files.NODE_ENV ?? PROCESS_ENVIRONMENT}) requires it: it must be ${MASTER_KEY_FORM}. ` +
				'For a development run, leave NODE_ENV unset',
		);
	}
	const trustProxy = parseTrustProxy(env.TRUST_PROXY);
	if ('problem' in trustProxy) {
		problems.push(
			trustProxy.problem.startsWith('=')
				? `TRUST_PROXY${trustProxy.problem} (set in ${files.TRUST_PROXY ?? PROCESS_ENVIRONMENT})`
				: problem('TRUST_PROXY', trustProxy.problem),
		);
	}
	if (env.CONNECTION_IDLE_SECONDS * 1000 <= env.REFRESH_TIMEOUT_MS) {
		// either may be the one the operator changed: name both, each with its value and source
		problems.push(
			`CONNECTION_IDLE_SECONDS (${env.CONNECTION_IDLE_SECONDS} s, ${origin('CONNECTION_IDLE_SECONDS')}) ` +
				`must be longer than REFRESH_TIMEOUT_MS (${env.REFRESH_TIMEOUT_MS} ms, ` +
				`${origin('REFRESH_TIMEOUT_MS')}), or a fetch that waits for a refresh is cut`,
		);
	}
	for (const variable of [
		'RATE_LIMIT_WINDOW',
		'ALERT_CRITICAL_WINDOW',
		'CONSOLE_SESSION_IDLE',
		'CONSOLE_SESSION_MAX',
	] as const) {
		if (!DURATION.test(env[variable].trim())) {
			problems.push(problem(variable, "must be a duration such as '1 minute', '30s' or 500"));
		}
	}
	return problems;
}

/**
 * Whether a PostgreSQL (or Redis) URL parses as one (WHATWG URL, as the driver reads it) with a user name and
 * password that percent-decode, and no `@` left in its path: an unencoded `@` or `/` in a password
 * otherwise moves part of the password into the host or the database name.
 */
function isConnectionUrl(value: string): boolean {
	if (!URL.canParse(value)) return false;
	const url = new URL(value);
	try {
		decodeURIComponent(url.username);
		decodeURIComponent(url.password);
		decodeURIComponent(url.pathname);
	} catch {
		return false;
	}
	return !url.pathname.includes('@') && !url.pathname.slice(1).includes('/');
}

/** `90s`, `1 minute`, `2 hours`, `500ms` or a plain number of milliseconds. */
export const DURATION = /^(\d+)\s*(ms|s|sec|seconds?|m|min|minutes?|h|hours?)?$/i;
