/**
 * What a token endpoint's "no" means: the grant is dead (only the user can fix it by signing in
 * again), the agency's OAuth app is refused (only the operator can fix it), or something passing.
 * RFC 6749 §5.2 and OpenID Connect Core §3.1.2.6 give the codes every provider shares; the codes
 * a provider adds (GitHub `bad_refresh_token`, HubSpot `BAD_REFRESH_TOKEN`, Entra `AADSTS…`
 * numbers) arrive as data from the service's row (docs/PROVIDERS.md).
 */

/**
 * `revoked`: the grant is gone; the client must reconnect. `app`: the provider refused the OAuth
 * app's own credentials (client id or secret); the service's operator must fix it. `transient`:
 * timeouts, network failures, 429, 5xx, malformed answers, unknown codes; worth retrying later.
 */
export type TokenFailureKind = 'revoked' | 'app' | 'transient';

/** A service's own error codes, on top of the defaults below (`services` columns). */
export interface ServiceErrorCodes {
	/** Codes meaning the grant is dead, e.g. `bad_refresh_token` or `AADSTS50173`. */
	reauth: readonly string[];
	/** Codes meaning the OAuth app's credentials are refused, e.g. `incorrect_client_credentials`. */
	app: readonly string[];
}

export class TokenEndpointError extends Error {
	constructor(
		readonly kind: TokenFailureKind,
		/** Safe to store and show: never a token or a response body. */
		readonly reason: string,
		/** Seconds the provider asked to wait (RFC 9110 §10.2.3), at most a day. */
		readonly retryAfterSeconds?: number,
	) {
		super(reason);
		this.name = 'TokenEndpointError';
	}
}

/**
 * RFC 6749 §5.2 `invalid_grant`; OIDC Core §3.1.2.6 `interaction_required`, `login_required`,
 * `consent_required` (a refresh the user must take part in); and the revocation words providers
 * widely share (RFC 6750 §3.1 `invalid_token`, `invalid_refresh_token`, `token_revoked`).
 */
export const REVOKED_ERRORS: ReadonlySet<string> = new Set([
	'invalid_grant',
	'invalid_refresh_token',
	'token_revoked',
	'invalid_token',
	'access_denied',
	'interaction_required',
	'login_required',
	'consent_required',
]);

/** RFC 6749 §5.2: the client (the agency's OAuth app) failed authentication or is not allowed. */
export const APP_ERRORS: ReadonlySet<string> = new Set(['invalid_client', 'unauthorized_client']);

const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
const AADSTS = /^AADSTS(\d{1,9})\b/;
const RETRY_AFTER_MAX_SECONDS = 86_400;

const code = (value: unknown) =>
	typeof value === 'string' && ERROR_CODE.test(value) ? value : undefined;

/**
 * The names an error answer goes by: its `error` (RFC 6749 §5.2), HubSpot's `status`, and each
 * Entra number (`error_codes`, or the `AADSTS…:` that starts `error_description`) as `AADSTS<n>`.
 */
function errorNames(answer: Record<string, unknown>): { primary?: string; all: string[] } {
	const primary = code(answer.error) ?? code(answer.status);
	const numbers = Array.isArray(answer.error_codes)
		? answer.error_codes.filter((n): n is number => Number.isSafeInteger(n) && n > 0).slice(0, 8)
		: [];
	const described =
		typeof answer.error_description === 'string'
			? AADSTS.exec(answer.error_description)?.[1]
			: undefined;
	if (described) numbers.push(Number(described));
	const named = new Set([...(primary ? [primary] : []), ...numbers.map((n) => `AADSTS${n}`)]);
	return { primary, all: [...named] };
}

/**
 * Classifies an error answer (any HTTP status) of a token endpoint. The service's own codes come
 * first (an operator's list overrides the defaults), then the RFC defaults; anything else is
 * transient. The reason names the code and the status, never the description (it may echo input).
 */
export function errorFrom(
	answer: Record<string, unknown>,
	status: number,
	codes: ServiceErrorCodes = { reauth: [], app: [] },
): TokenEndpointError {
	const { primary, all } = errorNames(answer);
	const numbers = all.filter((name) => name !== primary);
	const named = [primary, ...numbers].join(' ');
	const shown = named ? `${named} (HTTP ${status})` : `HTTP ${status}`;
	const kind: TokenFailureKind = all.some((name) => codes.reauth.includes(name))
		? 'revoked'
		: all.some((name) => codes.app.includes(name))
			? 'app'
			: primary && REVOKED_ERRORS.has(primary)
				? 'revoked'
				: primary && APP_ERRORS.has(primary)
					? 'app'
					: 'transient';
	// a dead grant is named by its code alone, as the connection's last_error has always been
	return new TokenEndpointError(kind, kind === 'revoked' && named ? named : shown);
}

/**
 * RFC 9110 §10.2.3 Retry-After, in seconds from now: delay-seconds or an HTTP-date. A date is
 * read against the answer's own `Date` header when it has one (the provider's clock), else ours.
 * Capped at a day; `undefined` for a missing, past or unreadable value.
 */
export function retryAfter(headers: Headers, now = Date.now()): number | undefined {
	const value = headers.get('retry-after')?.trim();
	if (!value) return undefined;
	let seconds: number;
	if (/^\d+$/.test(value)) seconds = Number(value);
	else {
		const at = Date.parse(value);
		if (!Number.isFinite(at) || !/[A-Za-z]/.test(value)) return undefined;
		const providerNow = Date.parse(headers.get('date') ?? '');
		seconds = Math.ceil((at - (Number.isFinite(providerNow) ? providerNow : now)) / 1000);
	}
	return Number.isFinite(seconds) && seconds > 0
		? Math.min(seconds, RETRY_AFTER_MAX_SECONDS)
		: undefined;
}
