import { describe, expect, it } from 'vitest';
import {
	DEFAULT_REFRESH_LEAD_SECONDS,
	answerExpiresAt,
	backoffUntil,
	expiresWithin,
	inBackoff,
	isExpired,
	isRenewable,
	nextRefreshAt,
} from '../src/domain/refresh/refresh-policy.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const at = (offsetMs: number) => new Date(NOW + offsetMs);
const service = (
	refreshLeadSeconds: number | null = null,
	keepaliveMinutes: number | null = null,
) => ({
	refresh_lead_seconds: refreshLeadSeconds,
	keepalive_interval_minutes: keepaliveMinutes,
});

// the rules of docs/RELIABILITY.md "Refresh" as pure functions of a row and a clock
describe('which connections the vault can renew', () => {
	it('client credentials always; OAuth2 only with a refresh token; an API key or login never', () => {
		expect(isRenewable({ type: 'oauth2_client_credentials', refresh_token_ciphertext: null })).toBe(
			true,
		);
		expect(isRenewable({ type: 'oauth2', refresh_token_ciphertext: Buffer.from('rt') })).toBe(true);
		expect(isRenewable({ type: 'oauth2', refresh_token_ciphertext: null })).toBe(false);
		expect(isRenewable({ type: 'api_key', refresh_token_ciphertext: Buffer.from('x') })).toBe(
			false,
		);
	});
});

describe('when the background refresher renews a token', () => {
	it('nothing is scheduled for a connection the vault cannot renew', () => {
		expect(nextRefreshAt(service(60, 5), at(HOUR), false, NOW)).toBeNull();
	});

	it('the service lead before expiry, 10 min when the service sets none', () => {
		expect(nextRefreshAt(service(120), at(HOUR), true, NOW)).toEqual(at(HOUR - 2 * MINUTE));
		expect(DEFAULT_REFRESH_LEAD_SECONDS).toBe(600);
		expect(nextRefreshAt(service(), at(HOUR), true, NOW)).toEqual(at(HOUR - 10 * MINUTE));
	});

	it('at most half the lifetime ahead, so a short-lived token does not loop; at expiry when expired', () => {
		expect(nextRefreshAt(service(), at(10 * MINUTE), true, NOW)).toEqual(at(5 * MINUTE));
		expect(nextRefreshAt(service(), at(-MINUTE), true, NOW)).toEqual(at(-MINUTE));
	});

	it('sooner for a keep-alive service, whichever comes first; nothing without expiry or keep-alive', () => {
		expect(nextRefreshAt(service(60, 30), at(10 * HOUR), true, NOW)).toEqual(at(30 * MINUTE));
		expect(nextRefreshAt(service(60, 30), at(10 * MINUTE), true, NOW)).toEqual(at(9 * MINUTE));
		expect(nextRefreshAt(service(60, 30), null, true, NOW)).toEqual(at(30 * MINUTE));
		expect(nextRefreshAt(service(60), null, true, NOW)).toBeNull();
	});
});

describe('how long a failed refresh backs off', () => {
	const range = (failures: number) => {
		const delays = Array.from(
			{ length: 300 },
			() => backoffUntil(failures, undefined, NOW).getTime() - NOW,
		);
		return { min: Math.min(...delays), max: Math.max(...delays) };
	};

	it('30 s, 1 min, 2 min, 4 min for the first failures in a row, each within ±20 %', () => {
		for (const [failures, step] of [
			[1, 30 * SECOND],
			[2, MINUTE],
			[3, 2 * MINUTE],
			[4, 4 * MINUTE],
		] as const) {
			const { min, max } = range(failures);
			expect(min, `failure ${failures}`).toBeGreaterThanOrEqual(0.8 * step);
			expect(max, `failure ${failures}`).toBeLessThanOrEqual(1.2 * step);
			// jittered, not fixed: connections failing together spread out
			expect(max - min, `failure ${failures}`).toBeGreaterThan(0.1 * step);
		}
	});

	it('a Retry-After longer than the step is waited out exactly', () => {
		expect(backoffUntil(1, 600, NOW)).toEqual(at(600 * SECOND));
	});
});

describe('whether a connection is being backed off', () => {
	it('only after a failure, until its next attempt', () => {
		expect(inBackoff({ refresh_failures: 1, next_refresh_at: at(SECOND) }, NOW)).toBe(true);
		expect(inBackoff({ refresh_failures: 1, next_refresh_at: at(0) }, NOW)).toBe(false);
		expect(inBackoff({ refresh_failures: 1, next_refresh_at: null }, NOW)).toBe(false);
		expect(inBackoff({ refresh_failures: 0, next_refresh_at: at(HOUR) }, NOW)).toBe(false);
	});
});

describe('whether a token expires soon or has expired', () => {
	const oauth2 = (expiresAt: Date | null, lastRefreshedAt: Date | null = at(-HOUR)) => ({
		type: 'oauth2' as const,
		expires_at: expiresAt,
		last_refreshed_at: lastRefreshedAt,
	});

	it('expires within the skew up to and including its edge, not beyond', () => {
		expect(expiresWithin(oauth2(at(MINUTE)), MINUTE, NOW)).toBe(true);
		expect(expiresWithin(oauth2(at(MINUTE + 1)), MINUTE, NOW)).toBe(false);
		expect(expiresWithin(oauth2(at(-HOUR)), MINUTE, NOW)).toBe(true);
	});

	it('a token without expiry never expires, but a client-credentials token never fetched is due', () => {
		expect(expiresWithin(oauth2(null), MINUTE, NOW)).toBe(false);
		const clientCredentials = { ...oauth2(null, null), type: 'oauth2_client_credentials' as const };
		expect(expiresWithin(clientCredentials, MINUTE, NOW)).toBe(true);
		expect(expiresWithin({ ...clientCredentials, last_refreshed_at: at(-HOUR) }, MINUTE, NOW)).toBe(
			false,
		);
		expect(expiresWithin(oauth2(null, null), MINUTE, NOW)).toBe(false);
	});

	it('has expired from its expiry instant on; a token without expiry never has', () => {
		expect(isExpired({ expires_at: at(0) }, NOW)).toBe(true);
		expect(isExpired({ expires_at: at(1) }, NOW)).toBe(false);
		expect(isExpired({ expires_at: null }, NOW)).toBe(false);
	});
});

describe('the expiry of a token the provider answered (RFC 6749 §5.1)', () => {
	const lifetime = (seconds: number | null) => ({ default_token_lifetime_seconds: seconds });

	it('expires_in seconds from now, as stated, even 0; else the service default; else none', () => {
		expect(answerExpiresAt(lifetime(7200), 3600, NOW)).toEqual(at(HOUR));
		expect(answerExpiresAt(lifetime(7200), 0, NOW)).toEqual(at(0));
		expect(answerExpiresAt(lifetime(7200), undefined, NOW)).toEqual(at(2 * HOUR));
		expect(answerExpiresAt(lifetime(null), undefined, NOW)).toBeNull();
	});
});
