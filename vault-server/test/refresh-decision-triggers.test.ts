import { describe, expect, it } from 'vitest';
import { appRefusedReason } from '../src/domain/refresh/refresh-failure.js';
import { servicesStore } from '../src/storage/services-store.js';
import { backends } from './helpers/databases.js';
import { ACTOR, hashOf, refusal, registerRefreshRig } from './helpers/refresh-rig.js';

// When a refresh is due for each trigger (fetch, background, manual), the one flight a connection's
// callers share and the caller slots, and which triggers a refused OAuth app stops. Why these tests
// exist beside the request-level ones: test/helpers/refresh-rig.ts.

describe.each(backends())('the refresh decision on %s', (backend) => {
	const rig = registerRefreshRig(backend);
	const { db, calls, row, set, connect, auditRows, refresherWith } = rig;

	describe('the due predicates', () => {
		it('fetch: due when the token expires within the skew', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(clientId, `expires_at = now() + interval '120 seconds'`);
			expect((await refresher.refresh(clientId, 'crm', 'fetch')).outcome).toBe('not_due');
			expect(await calls()).toBe(0);
			await set(clientId, `expires_at = now() + interval '30 seconds'`);
			expect((await refresher.refresh(clientId, 'crm', 'fetch')).outcome).toBe('refreshed');
			expect(await calls()).toBe(1);
		});

		it('background: due once next_refresh_at has come, never without one', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(clientId, `next_refresh_at = NULL, expires_at = now() - interval '1 second'`);
			expect((await refresher.refresh(clientId, 'crm', 'background')).outcome).toBe('not_due');
			await set(clientId, `next_refresh_at = now() + interval '30 seconds'`);
			expect((await refresher.refresh(clientId, 'crm', 'background')).outcome).toBe('not_due');
			expect(await calls()).toBe(0);
			await set(clientId, `next_refresh_at = now() - interval '1 second'`);
			expect((await refresher.refresh(clientId, 'crm', 'background')).outcome).toBe('refreshed');
			expect(await calls()).toBe(1);
		});

		it('manual: due unless renewed within the manual interval', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect();
			expect((await row(clientId)).last_refreshed_at).toBeNull();
			expect((await refresher.refresh(clientId, 'crm', 'manual')).outcome).toBe('refreshed');
			await set(clientId, `last_refreshed_at = now() - interval '30 seconds'`);
			expect((await refresher.refresh(clientId, 'crm', 'manual')).outcome).toBe('not_due');
			expect(await calls()).toBe(1);
			await set(clientId, `last_refreshed_at = now() - interval '120 seconds'`);
			expect((await refresher.refresh(clientId, 'crm', 'manual')).outcome).toBe('refreshed');
			expect(await calls()).toBe(2);
		});
	});

	describe('flights and slots', () => {
		it('shares one flight per connection whatever the trigger, and one per refused token', async () => {
			await rig.provider.control({ mode: 'slow', delayMs: 200 });
			const { refresher } = refresherWith();
			const clientId = await connect();
			const hash = hashOf(`at-${clientId}`);
			const manual = refresher.refresh(clientId, 'crm', 'manual');
			const fetch = refresher.refresh(clientId, 'crm', 'fetch');
			const refused = refresher.refresh(clientId, 'crm', 'manual', undefined, hash);
			const refusedAgain = refresher.refresh(clientId, 'crm', 'manual', undefined, hash);
			const other = refresher.refresh(clientId, 'crm', 'manual', undefined, hashOf('other'));
			expect(fetch).toBe(manual);
			expect(refusedAgain).toBe(refused);
			expect(refused).not.toBe(manual);
			expect(other).not.toBe(refused);
			const outcomes = await Promise.all([manual, refused, other]);
			expect(outcomes.map((result) => result.outcome).sort()).toEqual([
				'not_due',
				'not_due',
				'refreshed',
			]);
			expect(await calls()).toBe(1);
			// a settled flight is forgotten: the next call is an attempt of its own
			const next = refresher.refresh(clientId, 'crm', 'manual');
			expect(next).not.toBe(manual);
			expect((await next).outcome).toBe('not_due');
		});

		it('runs a background refresh without a caller slot, and refuses a caller past the queue', async () => {
			await rig.provider.control({ mode: 'slow', delayMs: 300 });
			const { refresher } = refresherWith({ callerConcurrency: 1, callerQueueLimit: 1 });
			const [a, b, c, d] = [await connect(), await connect(), await connect(), await connect()];
			await set(d, `next_refresh_at = now() - interval '1 second'`);
			const running = refresher.refresh(a, 'crm', 'manual');
			const queued = refresher.refresh(b, 'crm', 'manual');
			const busy = await refusal(refresher.refresh(c, 'crm', 'manual'));
			expect(busy.code).toBe('REFRESH_BUSY');
			expect(busy.retryAfterSeconds).toBe(5);
			const background = refresher.refresh(d, 'crm', 'background');
			const outcomes = await Promise.all([running, queued, background]);
			expect(outcomes.map((result) => result.outcome)).toEqual([
				'refreshed',
				'refreshed',
				'refreshed',
			]);
			expect(await calls()).toBe(3);
		});
	});

	describe('a service whose OAuth app the provider refused', () => {
		const refuseApp = () => servicesStore(db()).recordAppError('shaky', 'invalid_client');

		it('fails fetches and background refreshes without a provider call or a write', async () => {
			const { refresher, outcomes, settled } = refresherWith();
			const clientId = await connect('shaky', {
				access_token: 'at-shaky',
				refresh_token: 'rt-shaky',
				expires_in: 10,
			});
			await set(
				clientId,
				`next_refresh_at = NULL, expires_at = now() - interval '1 second'`,
				'shaky',
			);
			await refuseApp();
			for (const trigger of ['fetch', 'background'] as const) {
				const result = await refresher.refresh(clientId, 'shaky', trigger);
				expect(result.outcome).toBe('failed');
				expect(result.reason).toBe(appRefusedReason('shaky', 'invalid_client'));
				expect(result.connection.client_id).toBe(clientId);
			}
			const error = await refusal(refresher.freshForFetch(await row(clientId, 'shaky'), ACTOR));
			expect(error.code).toBe('REFRESH_FAILED');
			expect(error.message).toBe(
				`The token of '${clientId}' for 'shaky' expired and could not be refreshed` +
					` (${appRefusedReason('shaky', 'invalid_client')})`,
			);
			expect(error.retryAfterSeconds).toBeUndefined();
			// a next attempt is scheduled but no failure is backed off: no Retry-After either
			await set(clientId, `next_refresh_at = now() + interval '60 seconds'`, 'shaky');
			const scheduled = await refusal(refresher.freshForFetch(await row(clientId, 'shaky'), ACTOR));
			expect(scheduled.message).toMatch(/\); next attempt after \d{4}-/);
			expect(scheduled.retryAfterSeconds).toBeUndefined();
			expect((await row(clientId, 'shaky')).refresh_failures).toBe(0);
			expect(await calls()).toBe(0);
			expect(outcomes).toEqual([]);
			expect(settled).toEqual([]);
			expect(await auditRows(clientId)).toEqual([]);
			const missing = await refusal(refresher.refresh('nobody', 'shaky', 'background'));
			expect(missing.code).toBe('CONNECTION_NOT_FOUND');
		});

		it('lets a manual refresh go ahead: a failure keeps the refusal, a success clears it', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect('shaky', { access_token: 'at-s2', refresh_token: 'rt-s2' });
			await rig.provider.allowRefreshToken('rt-s2');
			await refuseApp();
			await rig.provider.control({ mode: 'error500' });
			expect((await refresher.refresh(clientId, 'shaky', 'manual')).outcome).toBe('failed');
			expect((await servicesStore(db()).get('shaky'))!.app_error).toBe('invalid_client');
			await rig.provider.control({ mode: 'ok' });
			await set(clientId, 'refresh_failures = 0, next_refresh_at = NULL', 'shaky');
			expect((await refresher.refresh(clientId, 'shaky', 'manual')).outcome).toBe('refreshed');
			expect((await servicesStore(db()).get('shaky'))!.app_error).toBeNull();
			expect(await calls()).toBe(2);
		});
	});
});
