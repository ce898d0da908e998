import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

/**
 * Field names whose values are never logged, wherever they appear. (An OAuth `code` or `state`
 * only travels in a callback's query string, which `redactUrl` removes.)
 */
const SECRET_FIELDS = [
	'authorization',
	'cookie',
	'access_token',
	'refresh_token',
	'api_key',
	'password',
	'client_secret',
	'oauth_client_secret',
	'token',
	'code_verifier',
];

export const REDACT_PATHS = [
	'req.headers.authorization',
	'req.headers.cookie',
	...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

/** A `connect` segment, then anything: the link token, however the path spells it. */
const CONNECT_TOKEN = /^(.*?\/connect)\/.+$/is;

/** `path` with each `%XX` decoded (several rounds, so `%252F` too); malformed escapes are kept. */
function decodePath(path: string): string {
	let decoded = path;
	for (let round = 0; round < 3 && decoded.includes('%'); round += 1) {
		decoded = decoded.replace(/%[0-9a-f]{2}/gi, (escape) =>
			String.fromCharCode(Number.parseInt(escape.slice(1), 16)),
		);
	}
	return decoded;
}

/**
 * `url` (a request's path and query string) as it may be logged. Connect links and OAuth callbacks
 * carry single-use secrets in the URL: the whole query string becomes `?[REDACTED]`, and whatever
 * follows a `connect` path segment becomes `[REDACTED]`, matched as a router might read the path
 * (any case, repeated slashes collapsed, `%XX` escapes such as `%2F` or `%63onnect` decoded), so
 * `//connect/<t>`, `/CONNECT/<t>` and `/connect%2F<t>` are redacted like `/connect/<t>` even though
 * they answer 404. Other paths are logged as they came.
 */
export function redactUrl(url: string): string {
	const queryAt = url.indexOf('?');
	const path = queryAt === -1 ? url : url.slice(0, queryAt);
	const query = queryAt === -1 ? '' : '?[REDACTED]';
	const readable = decodePath(path).replace(/\/{2,}/g, '/');
	const connect = CONNECT_TOKEN.exec(readable);
	return connect ? `${connect[1]}/[REDACTED]${query}` : `${path}${query}`;
}

interface SerializedError {
	[key: string]: unknown;
	type: string;
	message: string;
	stack: string;
}

/** Keeps an error's own fields, never the SQL parameters a driver may attach to it. */
function serializeError(error: Error & { code?: unknown }): SerializedError {
	return {
		type: error.name,
		message: error.message,
		code: typeof error.code === 'string' ? error.code : undefined,
		stack: error.stack ?? '',
	};
}

export function loggerOptions(
	level: string,
): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
	return {
		level,
		redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
		serializers: {
			err: serializeError,
			req: (request: { method: string; url: string; ip?: string; id?: string }) => ({
				method: request.method,
				url: redactUrl(request.url),
				remoteAddress: request.ip,
			}),
		},
	};
}

type ChildArgs = Parameters<FastifyBaseLogger['child']>;

/**
 * A request's logger, made on its first use. Most requests never log (request lines are off by
 * default), and pino's child() runs its bindings through the redaction paths each time: on the
 * credential-fetch path that was about 3 % of the vault's CPU. Methods are looked up on the
 * parent so that Fastify's check of the logger does not make the child.
 */
export function lazyChildLoggerFactory(
	logger: FastifyBaseLogger,
	bindings: ChildArgs[0],
	options: ChildArgs[1],
): FastifyBaseLogger {
	let child: FastifyBaseLogger | undefined;
	const made = () => (child ??= logger.child(bindings, options));
	return new Proxy(logger, {
		get(_parent, property) {
			if (typeof Reflect.get(logger, property) !== 'function') return Reflect.get(made(), property);
			return (...args: unknown[]) =>
				(Reflect.get(made(), property) as (...values: unknown[]) => unknown).apply(made(), args);
		},
		set: (_parent, property, value) => Reflect.set(made(), property, value),
	});
}
