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

// connect links and OAuth callbacks carry single-use secrets in the URL
const SECRET_URL = /^\/(connect\/)[^/?]+|\?.*$/;

export function redactUrl(url: string): string {
	return url.replace(SECRET_URL, (match, connect: string | undefined) =>
		connect ? `/${connect}[REDACTED]` : match.startsWith('?') ? '?[REDACTED]' : match,
	);
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
