import { STATUS_CODES } from 'node:http';
import Type, { type TSchema } from 'typebox';
import { ERRORS, type ErrorCode } from '../errors.js';

/** What each code means, as the OpenAPI document tells API users. One line per code of errors.ts. */
const MEANINGS: Record<ErrorCode, string> = {
	VALIDATION_FAILED: 'A path parameter, the query or the body does not match the schema',
	INVALID_JSON: 'The body is not valid JSON',
	UNAUTHORIZED:
		'No valid bearer token (missing, unknown, expired or revoked) nor console session was given',
	FORBIDDEN: "The token's scope or client list does not allow this request",
	CSRF_TOKEN_INVALID:
		"A change made with the console session cookie lacks the session's `x-csrf-token` header",
	NOT_FOUND: 'No route has this method and path',
	CLIENT_NOT_FOUND: 'No client has this id',
	SERVICE_NOT_FOUND: 'No service has this name',
	CONNECTION_NOT_FOUND: 'The client has no active connection to this service',
	TOKEN_NOT_FOUND: 'No API token has this id',
	SESSION_NOT_FOUND: 'The request was not made with a console session',
	LOGO_NOT_FOUND: 'No logo was uploaded',
	CONNECT_LINK_NOT_FOUND: 'The connect link is not valid',
	WEBHOOK_NOT_FOUND: 'No webhook subscription has this id',
	OAUTH_STATE_INVALID: 'The `state` does not match a sign-in this vault started',
	OAUTH_AUTHORIZATION_DENIED: 'The account owner did not grant access',
	OAUTH_STATE_USED: 'This sign-in answer was already used',
	CONNECT_LINK_EXPIRED: 'The connect link has expired',
	CONNECT_LINK_USED: 'The connect link was already used to connect the account',
	CONNECT_LINK_REVOKED:
		'The connect link was revoked (by an admin, or because its connection was deleted or replaced)',
	OAUTH_STATE_EXPIRED: 'The sign-in took more than 10 minutes',
	SERVICE_NOT_CONNECTABLE:
		'The service cannot be connected with a link: not an authorization-code service, no OAuth app, or provider URLs that are not https',
	KEY_VERSION_NOT_FOUND: 'No data key has this version',
	CLIENT_EXISTS: 'A client with this id already exists',
	SERVICE_EXISTS: 'A service with this name already exists',
	SERVICE_IN_USE: 'The service still has connections',
	CONNECTION_NEEDS_REAUTH:
		'The provider revoked the grant: only the client can restore it, by reconnecting (see `reconnect_hint`)',
	KEY_VERSION_ACTIVE: 'The data key version is the active one',
	KEY_VERSION_IN_USE: 'Secrets are still encrypted under this data key version',
	KEY_ROTATION_TOO_RECENT: 'The data key was rotated too recently',
	CREDENTIAL_NOT_ALLOWED:
		"The fields given do not fit the service's type, or the connection cannot be refreshed",
	PAYLOAD_TOO_LARGE: 'The body is larger than the configured limit',
	UNSUPPORTED_MEDIA_TYPE:
		'The body is not `application/json` (a logo: not `image/png`, `image/jpeg` or `image/webp`)',
	LOGO_NOT_ACCEPTED:
		'The logo is not a PNG, JPEG or WebP image by its bytes, or not the type its `Content-Type` names',
	RATE_LIMITED: 'Too many requests, or too many failed authentications; see `Retry-After`',
	REQUEST_TIMEOUT:
		'The request (headers and body) took longer than REQUEST_TIMEOUT_SECONDS to arrive',
	HEADERS_TOO_LARGE: 'The request headers are larger than the HTTP parser accepts',
	INTERNAL_ERROR: 'An unexpected failure; the details are in the server log, not in the answer',
	VAULT_DECRYPTION_FAILED:
		'A stored secret could not be decrypted (wrong master key or altered data)',
	DATABASE_UNAVAILABLE: 'The database does not answer; try again shortly',
	AUDIT_UNAVAILABLE: 'The audit row could not be written, so the answer was withheld',
	CONSOLE_NOT_BUILT:
		'The console was not built (`npm run build`), so /console has no files to serve',
	REFRESH_FAILED:
		"The token expired and the provider did not renew it (or refused the service's OAuth app); " +
		'the stored token is unchanged. `Retry-After`, when present: when the vault tries again',
	REFRESH_BUSY:
		'Too many token refreshes are waiting for the provider; try again after `Retry-After` seconds',
	OAUTH_AUTHORIZATION_FAILED: 'The provider answered the sign-in with an error',
	OAUTH_EXCHANGE_FAILED: 'The provider did not exchange the authorization code for tokens',
};

/** Codes every authenticated route can answer, whatever it does. */
const AUTHENTICATED: ErrorCode[] = [
	'VALIDATION_FAILED',
	'UNAUTHORIZED',
	'FORBIDDEN',
	'CSRF_TOKEN_INVALID',
	'RATE_LIMITED',
	'INTERNAL_ERROR',
	'DATABASE_UNAVAILABLE',
	'AUDIT_UNAVAILABLE',
];

/** Codes of a route whose method carries a body (POST, PUT, PATCH, DELETE): Fastify parses it. */
export const BODY_ERRORS: ErrorCode[] = [
	'INVALID_JSON',
	'PAYLOAD_TOO_LARGE',
	'UNSUPPORTED_MEDIA_TYPE',
];

/** The codes of `codes` grouped by their HTTP status (errors.ts), each group sorted. */
function byStatus(codes: ErrorCode[]): Map<number, ErrorCode[]> {
	const groups = new Map<number, ErrorCode[]>();
	for (const code of new Set(codes)) {
		const status = ERRORS[code];
		groups.set(status, [...(groups.get(status) ?? []), code].sort());
	}
	return groups;
}

/** The response description: the status's reason phrase and what each code means (Markdown). */
function describe(status: number, codes: ErrorCode[]): string {
	const lines = codes.map((code) => `- \`${code}\`: ${MEANINGS[code]}`);
	return `${STATUS_CODES[status]}. \`code\` is one of:\n\n${lines.join('\n')}`;
}

const example = (status: number, code: ErrorCode) => ({
	summary: MEANINGS[code],
	value: { statusCode: status, code, message: `${MEANINGS[code]}.` },
});

/** The JSON error body (error-handler.ts) of one status, its `code` limited to the given codes. */
function jsonError(status: number, codes: ErrorCode[]): TSchema {
	return Type.Unsafe<{ statusCode: number; code: ErrorCode; message: string }>({
		// the response's description (@fastify/swagger), kept out of the schema itself
		'x-response-description': describe(status, codes),
		type: 'object',
		required: ['statusCode', 'code', 'message'],
		properties: {
			statusCode: { type: 'integer', enum: [status] },
			code: { type: 'string', enum: codes, description: 'Stable: test this, not the message' },
			message: { type: 'string', description: 'For humans; never contains a secret' },
			reconnect_hint: { type: 'string', description: 'How to get the client to reconnect' },
			reconnect_url: { type: 'string', description: 'Where the client can reconnect' },
		},
		// @fastify/swagger turns this into the media type's named examples, one per code
		'x-examples': Object.fromEntries(codes.map((code) => [code, example(status, code)])),
	});
}

/**
 * The error responses of a JSON route, for its `schema.response`: one per HTTP status, each
 * listing (in its description and its `code` enum) the codes the route can answer with that
 * status. Statuses come from errors.ts, so a code is never documented under the wrong status.
 * `public` leaves out the codes of authentication and of the audit log (routes outside /v1).
 */
export function errorResponses(
	codes: ErrorCode[],
	options: { public?: boolean } = {},
): Record<number, TSchema> {
	const all = options.public ? codes : [...AUTHENTICATED, ...codes];
	return Object.fromEntries(
		[...byStatus(all)].map(([status, group]) => [status, jsonError(status, group)]),
	);
}

/**
 * The error responses of an HTML page (the connect pages): the same grouping, each an HTML page
 * saying what went wrong in words, never a stack. AUDIT_UNAVAILABLE is the audit plugin's JSON
 * body, whatever the route.
 */
export function htmlErrorResponses(codes: ErrorCode[]) {
	return Object.fromEntries(
		[...byStatus(codes)].map(([status, group]) => {
			const page = { 'text/html': { schema: Type.String() } };
			const json = group.includes('AUDIT_UNAVAILABLE')
				? { 'application/json': { schema: jsonError(status, ['AUDIT_UNAVAILABLE']) } }
				: {};
			return [status, { description: describe(status, group), content: { ...page, ...json } }];
		}),
	);
}
