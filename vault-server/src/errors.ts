/**
 * Every error the API can return: a stable UPPER_SNAKE code, an HTTP status and a message for
 * humans. Messages never carry a secret; a 5xx message is fixed text, never a driver's words.
 */
export const ERRORS = {
	VALIDATION_FAILED: 400,
	INVALID_JSON: 400,
	UNAUTHORIZED: 401,
	FORBIDDEN: 403,
	CSRF_TOKEN_INVALID: 403,
	NOT_FOUND: 404,
	CLIENT_NOT_FOUND: 404,
	SERVICE_NOT_FOUND: 404,
	CONNECTION_NOT_FOUND: 404,
	TOKEN_NOT_FOUND: 404,
	SESSION_NOT_FOUND: 404,
	LOGO_NOT_FOUND: 404,
	CONNECT_LINK_NOT_FOUND: 404,
	WEBHOOK_NOT_FOUND: 404,
	OAUTH_STATE_INVALID: 400,
	OAUTH_AUTHORIZATION_DENIED: 403,
	OAUTH_STATE_USED: 409,
	CONNECT_LINK_EXPIRED: 410,
	CONNECT_LINK_USED: 410,
	CONNECT_LINK_REVOKED: 410,
	OAUTH_STATE_EXPIRED: 410,
	SERVICE_NOT_CONNECTABLE: 422,
	KEY_VERSION_NOT_FOUND: 404,
	CLIENT_EXISTS: 409,
	SERVICE_EXISTS: 409,
	SERVICE_IN_USE: 409,
	CONNECTION_NEEDS_REAUTH: 409,
	KEY_VERSION_ACTIVE: 409,
	KEY_VERSION_IN_USE: 409,
	KEY_ROTATION_TOO_RECENT: 409,
	CREDENTIAL_NOT_ALLOWED: 422,
	PAYLOAD_TOO_LARGE: 413,
	UNSUPPORTED_MEDIA_TYPE: 415,
	LOGO_NOT_ACCEPTED: 415,
	RATE_LIMITED: 429,
	REQUEST_TIMEOUT: 408,
	HEADERS_TOO_LARGE: 431,
	INTERNAL_ERROR: 500,
	VAULT_DECRYPTION_FAILED: 500,
	DATABASE_UNAVAILABLE: 503,
	AUDIT_UNAVAILABLE: 503,
	CONSOLE_NOT_BUILT: 503,
	REFRESH_FAILED: 503,
	REFRESH_BUSY: 503,
	OAUTH_AUTHORIZATION_FAILED: 502,
	OAUTH_EXCHANGE_FAILED: 502,
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class VaultError extends Error {
	readonly statusCode: number;

	constructor(
		readonly code: ErrorCode,
		message: string,
		/** Extra, non-secret fields added to the JSON error body. */
		readonly details?: Record<string, string>,
		/** Seconds until asking again is worth it: the answer's Retry-After (RFC 9110 §10.2.3). */
		readonly retryAfterSeconds?: number,
	) {
		super(message);
		this.name = 'VaultError';
		this.statusCode = ERRORS[code];
	}
}

export const clientNotFound = (clientId: string) =>
	new VaultError('CLIENT_NOT_FOUND', `No client with id '${clientId}'`);

export const serviceNotFound = (service: string) =>
	new VaultError('SERVICE_NOT_FOUND', `No service named '${service}'`);

export const connectionNotFound = (clientId: string, service: string) =>
	new VaultError('CONNECTION_NOT_FOUND', `Client '${clientId}' has no connection to '${service}'`);
