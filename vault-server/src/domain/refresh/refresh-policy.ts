import type { ConnectionRow } from '../../storage/connections-store.js';
import type { ServiceRow } from '../../storage/services-store.js';

export const DEFAULT_REFRESH_LEAD_SECONDS = 600;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 3_600_000;

/** Whether the vault can renew this connection without the client. */
export function isRenewable(
	connection: Pick<ConnectionRow, 'type' | 'refresh_token_ciphertext'>,
): boolean {
	return (
		connection.type === 'oauth2_client_credentials' ||
		(connection.type === 'oauth2' && connection.refresh_token_ciphertext !== null)
	);
}

/**
 * When the background refresher should renew a token: `refresh_lead_seconds` before expiry (at
 * most half the token's lifetime, so short-lived tokens do not loop), or sooner for a keep-alive
 * service whose refresh tokens die unused. `null`: nothing to schedule.
 */
export function nextRefreshAt(
	service: Pick<ServiceRow, 'refresh_lead_seconds' | 'keepalive_interval_minutes'>,
	expiresAt: Date | null,
	renewable: boolean,
	now = Date.now(),
): Date | null {
	if (!renewable) return null;
	const candidates: number[] = [];
	if (expiresAt) {
		const lifetime = Math.max(0, expiresAt.getTime() - now);
		const lead = Math.min(
			(service.refresh_lead_seconds ?? DEFAULT_REFRESH_LEAD_SECONDS) * 1000,
			lifetime / 2,
		);
		candidates.push(expiresAt.getTime() - lead);
	}
	if (service.keepalive_interval_minutes)
		candidates.push(now + service.keepalive_interval_minutes * 60_000);
	return candidates.length > 0 ? new Date(Math.min(...candidates)) : null;
}

/**
 * When to try again after `failures` failed refreshes in a row (1 for the first): exponential
 * backoff with ±20 % jitter, 30 s, 1 min, 2 min, ..., never more than 1 h away once jittered (so
 * from the 8th failure on, between 48 min and 1 h); never before the provider's Retry-After
 * (seconds, RFC 9110 §10.2.3), which may be longer than the cap. `now` in epoch milliseconds.
 */
export function backoffUntil(
	failures: number,
	retryAfterSeconds: number | undefined,
	now = Date.now(),
): Date {
	const exponential = Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1), BACKOFF_MAX_MS);
	// capped again once jittered (up to 1 h 12 min otherwise); the jitter below the cap stays, so
	// connections failing together do not all retry at once
	const jittered = Math.min(exponential * (0.8 + Math.random() * 0.4), BACKOFF_MAX_MS);
	return new Date(now + Math.max(jittered, (retryAfterSeconds ?? 0) * 1000));
}

/** A failed refresh is being backed off: no provider call until `next_refresh_at`. */
export function inBackoff(
	connection: Pick<ConnectionRow, 'refresh_failures' | 'next_refresh_at'>,
	now = Date.now(),
) {
	return (
		connection.refresh_failures > 0 &&
		connection.next_refresh_at !== null &&
		connection.next_refresh_at.getTime() > now
	);
}

/** The token expires within `skewMs` (or, for client credentials, was never fetched). */
export function expiresWithin(
	connection: Pick<ConnectionRow, 'type' | 'expires_at' | 'last_refreshed_at'>,
	skewMs: number,
	now = Date.now(),
) {
	if (connection.expires_at) return connection.expires_at.getTime() <= now + skewMs;
	return connection.type === 'oauth2_client_credentials' && connection.last_refreshed_at === null;
}

export function isExpired(connection: Pick<ConnectionRow, 'expires_at'>, now = Date.now()) {
	return connection.expires_at !== null && connection.expires_at.getTime() <= now;
}

/**
 * The expiry of a token answered now: `expires_in` seconds from now (RFC 6749 §5.1), else the
 * service's `default_token_lifetime_seconds`, else none (`null`: the token is not known to expire).
 */
export function answerExpiresAt(
	service: Pick<ServiceRow, 'default_token_lifetime_seconds'>,
	expiresIn: number | undefined,
	now = Date.now(),
): Date | null {
	const seconds = expiresIn ?? service.default_token_lifetime_seconds;
	return seconds === null ? null : new Date(now + seconds * 1000);
}
