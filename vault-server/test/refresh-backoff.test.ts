import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { refreshDueConnections, DEFAULT_LOOP } from '../src/domain/refresh/refresh-loop.js';
import { backoffUntil } from '../src/domain/refresh/refresh-policy.js';
import { backends } from './helpers/databases.js';
import { TestProvider } from './helpers/test-provider.js';
import { asAdmin, startTestVault, type TestVault, addAcmeAndCrm } from './helpers/vault-app.js';

const SECOND = 1000;
const HOUR = 3_600_000;
/** refresh-policy.ts: the first backoff is 30 s with ±20 % jitter, so never under 24 s. */
const FIRST_BACKOFF_FLOOR = 24 * SECOND;
const SECOND_BACKOFF_FLOOR = 2 * FIRST_BACKOFF_FLOOR;
/** token-endpoint.ts: a Retry-After over a day is read as a day. */
const RETRY_AFTER_MAX = 24 * HOUR;

describe('backoffUntil (refresh-policy.ts)', () => {
	const NOW = Date.parse('2030-01-01T00:00:00Z');
	const delays = (failures: number, retryAfterSeconds?: number) =>
		Array.from(
			{ length: 200 },
			() => backoffUntil(failures, retryAfterSeconds, NOW).getTime() - NOW,
		);

	it('never waits more than 1 h however many failures in a row, jitter included', () => {
		for (const failures of [8, 9, 12, 20, 50, 1000]) {
			const sample = delays(failures);
			expect(Math.max(...sample)).toBeLessThanOrEqual(HOUR);
			// still spread below the cap, so failed connections do not all retry at once
			expect(Math.min(...sample)).toBeGreaterThanOrEqual(0.8 * HOUR);
			expect(sample.some((delay) => delay < 0.95 * HOUR)).toBe(true);
		}
	});

	it('waits at least the jittered exponential step when Retry-After is shorter', () => {
		for (const retryAfter of [undefined, 1, 5]) {
			expect(Math.min(...delays(1, retryAfter))).toBeGreaterThanOrEqual(FIRST_BACKOFF_FLOOR);
			expect(Math.min(...delays(2, retryAfter))).toBeGreaterThanOrEqual(SECOND_BACKOFF_FLOOR);
		}
	});

	it('waits the whole Retry-After when it is longer, past the 1 h cap too', () => {
		expect(Math.min(...delays(1, 7200))).toBe(7200 * SECOND);
		expect(Math.min(...delays(50, 7200))).toBe(7200 * SECOND);
	});
});

/**
 * The backoff as stored by real refreshes against the test provider: each case reads the
 * `next_refresh_at` the failed attempt wrote, bounded by the clock read before and after it.
 */
describe.each(backends())('refresh backoff on %s', (backend) => {
	let provider: TestProvider;
	let vault: TestVault;
	let seed = 0;
	const inject = (options: InjectOptions) => vault.app.inject(options);
	const row = async () =>
		(
			await vault.database.db.query<{
				next_refresh_at: Date;
				refresh_failures: number;
				last_error: string | null;
				status: string;
			}>(`SELECT * FROM connections WHERE client_id = 'acme' AND service = 'crm'`)
		)[0]!;
	/** A fresh connection (no failures yet) whose refresh token the provider accepts. */
	const connect = async () => {
		seed += 1;
		await provider.allowRefreshToken(`rt-backoff-${seed}`);
		const stored = await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/crm',
			headers: asAdmin,
			payload: { access_token: `at-backoff-${seed}`, refresh_token: `rt-backoff-${seed}` },
		});
		expect(stored.statusCode).toBeLessThan(300);
	};
	/** Makes the connection due, runs one background pass, and answers the row it left. */
	const failedAttempt = async () => {
		await vault.database.db.query(
			`UPDATE connections SET next_refresh_at = now() WHERE client_id = 'acme' AND service = 'crm'`,
		);
		const before = Date.now();
		expect(
			await refreshDueConnections(
				vault.database.db,
				vault.app.refresher,
				DEFAULT_LOOP,
				vault.app.log,
			),
		).toBe(1);
		const after = Date.now();
		const stored = await row();
		return { before, after, stored, next: stored.next_refresh_at.getTime() };
	};

	beforeAll(async () => {
		provider = await TestProvider.start();
		vault = await startTestVault(backend, {
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
		});
		await addAcmeAndCrm(vault, provider.tokenUrl);
	});
	afterAll(async () => {
		await vault?.close();
		await provider?.stop();
	});
	beforeEach(async () => {
		await provider.control({ mode: 'ok', retryAfter: '2' });
		await connect();
	});

	it.each([
		['error429', '0'],
		['error429', '1'],
		['error503', '0'],
		['error503', '1'],
		['error503', '-30'],
		['error429', 'soon'],
		['error429', null],
	] as const)(
		'%s with Retry-After %s does not bring the next attempt before the backoff floor',
		async (mode, retryAfter) => {
			await provider.control({ mode, retryAfter });
			const first = await failedAttempt();
			expect(first.stored).toMatchObject({ refresh_failures: 1, status: 'active' });
			expect(first.next).toBeGreaterThanOrEqual(first.before + FIRST_BACKOFF_FLOOR);
			const second = await failedAttempt();
			expect(second.stored.refresh_failures).toBe(2);
			expect(second.next).toBeGreaterThanOrEqual(second.before + SECOND_BACKOFF_FLOOR);
		},
	);

	it('a Retry-After longer than the backoff is honoured, past the 1 h cap, up to a day', async () => {
		await provider.control({ mode: 'error429', retryAfter: '7200' });
		const long = await failedAttempt();
		expect(long.next).toBeGreaterThanOrEqual(long.before + 7200 * SECOND);
		expect(long.next).toBeLessThanOrEqual(long.after + 7200 * SECOND);
		await provider.control({ mode: 'error503', retryAfter: '999999999' });
		const huge = await failedAttempt();
		expect(huge.next).toBeGreaterThanOrEqual(huge.before + RETRY_AFTER_MAX);
		expect(huge.next).toBeLessThanOrEqual(huge.after + RETRY_AFTER_MAX);
	});

	it('after many failures in a row the next attempt is never more than 1 h away', async () => {
		await provider.control({ mode: 'error500' });
		// 30 s doubles past 1 h at the 8th failure: the 9 after it each draw their own jitter
		for (let failures = 1; failures <= 16; failures += 1) {
			const attempt = await failedAttempt();
			expect(attempt.stored.refresh_failures).toBe(failures);
			expect(attempt.stored.last_error).toBe('HTTP 500');
			expect(attempt.next).toBeLessThanOrEqual(attempt.after + HOUR);
			if (failures >= 8) expect(attempt.next).toBeGreaterThanOrEqual(attempt.before + 0.8 * HOUR);
		}
	});
});
