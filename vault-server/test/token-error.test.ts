import { describe, expect, it } from 'vitest';
import { errorFrom, retryAfter } from '../src/oauth/token-error.js';

const NOW = Date.parse('2030-01-01T00:00:00Z');
const headers = (values: Record<string, string>) => new Headers(values);

describe('retryAfter (RFC 9110 §10.2.3)', () => {
	it('reads delay-seconds, capped at a day', () => {
		expect(retryAfter(headers({ 'retry-after': '120' }), NOW)).toBe(120);
		expect(retryAfter(headers({ 'retry-after': '999999999' }), NOW)).toBe(86_400);
	});

	it('reads an HTTP-date, against the answer’s own Date header when there is one', () => {
		const tenMinutes = new Date(NOW + 600_000).toUTCString();
		expect(retryAfter(headers({ 'retry-after': tenMinutes }), NOW)).toBe(600);
		// the provider's clock runs 5 min behind ours: its date means 10 min from its now
		const providerNow = new Date(NOW - 300_000);
		const providerDate = new Date(providerNow.getTime() + 600_000).toUTCString();
		expect(
			retryAfter(headers({ 'retry-after': providerDate, date: providerNow.toUTCString() }), NOW),
		).toBe(600);
		// the obsolete RFC 850 and asctime forms are HTTP-dates too
		expect(retryAfter(headers({ 'retry-after': 'Tuesday, 01-Jan-30 00:10:00 GMT' }), NOW)).toBe(
			600,
		);
		expect(
			retryAfter(headers({ 'retry-after': new Date(NOW + 5 * 86_400_000).toUTCString() }), NOW),
		).toBe(86_400);
	});

	it('ignores what is missing, past, zero, negative or unreadable', () => {
		for (const value of ['', '0', '-30', '1.5', 'soon', 'Mon, 99 Foo 2030', '2029-12-31T00:00:00Z'])
			expect(retryAfter(headers({ 'retry-after': value }), NOW), value).toBeUndefined();
		expect(retryAfter(headers({}), NOW)).toBeUndefined();
		const past = new Date(NOW - 60_000).toUTCString();
		expect(retryAfter(headers({ 'retry-after': past }), NOW)).toBeUndefined();
	});
});

describe('errorFrom: what a token endpoint’s no means', () => {
	const none = { reauth: [], app: [] };
	it.each([
		[{ error: 'invalid_grant' }, 400, none, 'revoked'],
		[{ error: 'interaction_required', error_codes: [50079] }, 400, none, 'revoked'],
		[{ error: 'consent_required' }, 400, none, 'revoked'],
		[{ error: 'invalid_client' }, 401, none, 'app'],
		[{ error: 'unauthorized_client' }, 400, none, 'app'],
		[{ error: 'bad_refresh_token' }, 200, none, 'transient'],
		[{ error: 'bad_refresh_token' }, 200, { reauth: ['bad_refresh_token'], app: [] }, 'revoked'],
		[{ status: 'BAD_REFRESH_TOKEN' }, 400, { reauth: ['BAD_REFRESH_TOKEN'], app: [] }, 'revoked'],
		[
			{ ok: false, error: 'bad_client_secret' },
			200,
			{ reauth: [], app: ['bad_client_secret'] },
			'app',
		],
		// an Entra number listed by the service wins over the generic code
		[
			{ error: 'invalid_request', error_codes: [90002] },
			400,
			{ reauth: [], app: ['AADSTS90002'] },
			'app',
		],
		[
			{ error: 'invalid_request', error_description: 'AADSTS50194: not multi-tenant' },
			400,
			{ reauth: [], app: ['AADSTS50194'] },
			'app',
		],
		[{ error: 'temporarily_unavailable' }, 400, none, 'transient'],
		[{ error: 'has spaces and <html>' }, 400, none, 'transient'],
		[{}, 400, none, 'transient'],
	] as const)('%j (HTTP %i) with %j is %s', (answer, status, codes, kind) => {
		expect(errorFrom(answer, status, codes).kind).toBe(kind);
	});

	it('names codes and numbers, never the description', () => {
		const error = errorFrom(
			{
				error: 'invalid_client',
				error_description: 'AADSTS7000222: secret s3cr3t',
				error_codes: [7000222],
			},
			401,
		);
		expect(error.reason).toBe('invalid_client AADSTS7000222 (HTTP 401)');
		expect(errorFrom({ error: 'invalid_grant' }, 400).reason).toBe('invalid_grant');
	});
});
