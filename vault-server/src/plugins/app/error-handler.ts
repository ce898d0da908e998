import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { VaultError, type ErrorCode } from '../../errors.js';
import { isConnectionFailure } from '../../storage/connection-wait.js';
import { referenceGone } from '../../domain/reference-gone.js';

const FASTIFY_CODES: Record<string, ErrorCode> = {
	FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
	FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
	FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
	FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
	FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
};

const BY_STATUS: Record<number, ErrorCode> = {
	400: 'VALIDATION_FAILED',
	401: 'UNAUTHORIZED',
	403: 'FORBIDDEN',
	404: 'NOT_FOUND',
	413: 'PAYLOAD_TOO_LARGE',
	415: 'UNSUPPORTED_MEDIA_TYPE',
	429: 'RATE_LIMITED',
};

function toVaultError(error: FastifyError, method: string): VaultError | undefined {
	if (error instanceof VaultError) return error;
	const gone = referenceGone(error, method);
	if (gone) return gone;
	if (error.validation) return new VaultError('VALIDATION_FAILED', error.message);
	const known = error.code ? FASTIFY_CODES[error.code] : undefined;
	if (known) return new VaultError(known, error.message);
	if (isConnectionFailure(error)) {
		return new VaultError('DATABASE_UNAVAILABLE', 'The database is unavailable; try again shortly');
	}
	const status = error.statusCode ?? 500;
	if (status >= 400 && status < 500)
		return new VaultError(BY_STATUS[status] ?? 'VALIDATION_FAILED', error.message);
	return undefined;
}

/**
 * Fastify's `frameworkErrors` option: a URL the router cannot decode (FST_ERR_BAD_URL) or a path
 * segment over `maxParamLength` (FST_ERR_MAX_PARAM_LENGTH) is answered before any route or error
 * handler runs, with Fastify's own code and the path echoed. Both become a 400 VALIDATION_FAILED
 * of the vault's shape, without the path.
 */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
	request.errorCode = 'VALIDATION_FAILED';
	const message =
		error.code === 'FST_ERR_MAX_PARAM_LENGTH'
			? 'A path segment is too long'
			: 'The URL is not valid';
	return reply.code(400).send({ statusCode: 400, code: 'VALIDATION_FAILED', message });
}

/**
 * Every error leaves as `{statusCode, code, message}`. Client errors say what was wrong; server
 * errors say only their code, and the details go to the log (without query parameters).
 */
export default fp(
	async (fastify) => {
		fastify.setErrorHandler(async (error: FastifyError, request, reply) => {
			const known =
				toVaultError(error, request.method) ??
				new VaultError('INTERNAL_ERROR', 'Internal server error');
			request.errorCode = known.code;
			if (known.statusCode >= 500) request.log.error({ err: error }, known.message);
			if (known.retryAfterSeconds !== undefined)
				void reply.header('retry-after', String(known.retryAfterSeconds));
			return reply.code(known.statusCode).send({
				statusCode: known.statusCode,
				code: known.code,
				message: known.message,
				...known.details,
			});
		});

		fastify.setNotFoundHandler(async (request, reply) => {
			request.errorCode = 'NOT_FOUND';
			return reply
				.code(404)
				.send({ statusCode: 404, code: 'NOT_FOUND', message: 'Route not found' });
		});
	},
	{ name: 'error-handler' },
);
