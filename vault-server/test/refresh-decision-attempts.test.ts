import { describe, expect, it } from 'vitest';
import { withAppendOffline } from './helpers/audit-fixtures.js';
import { backends } from './helpers/databases.js';
import { ACTOR, hashOf, refusal, registerRefreshRig } from './helpers/refresh-rig.js';

// What each attempt of the refresher reports: onSettled and onOutcome, its log lines, its audit
// rows. Why these tests exist beside the request-level ones: test/helpers/refresh-rig.ts.

describe.each(backends())('the refresh decision on %s', (backend) => {
	const rig = registerRefreshRig(backend);
	const { db, set, connect, storedToken, auditRows, refresherWith } = rig;

	describe('what an attempt reports', () => {
		it('tells onSettled of every attempt and onOutcome of every one but not_due', async () => {
			const { refresher, outcomes, settled } = refresherWith();
			const clientId = await connect();
			await refresher.refresh(clientId, 'crm', 'manual');
			await refresher.refresh(clientId, 'crm', 'manual');
			const missing = await refusal(refresher.refresh('nobody', 'crm', 'fetch'));
			expect(missing.code).toBe('CONNECTION_NOT_FOUND');
			expect(outcomes).toEqual(['manual:refreshed']);
			expect(settled).toEqual([`${clientId}/crm`, `${clientId}/crm`, 'nobody/crm']);
		});

		it('needs neither onSettled nor onOutcome', async () => {
			const { refresher } = refresherWith({ onSettled: undefined, onOutcome: undefined });
			const clientId = await connect();
			expect((await refresher.refresh(clientId, 'crm', 'manual')).outcome).toBe('refreshed');
			expect((await refresher.refresh(clientId, 'crm', 'manual')).outcome).toBe('not_due');
		});

		it('logs a success at info and a failure at warn, not a refresh that was not due', async () => {
			const { refresher, log, outcomes } = refresherWith();
			const clientId = await connect();
			await refresher.refresh(clientId, 'crm', 'manual', ACTOR);
			await refresher.refresh(clientId, 'crm', 'manual', ACTOR);
			await rig.provider.control({ mode: 'error500' });
			await set(clientId, 'last_refreshed_at = NULL');
			const failed = await refresher.refresh(clientId, 'crm', 'manual', ACTOR);
			expect(log.calls).toEqual([
				{
					level: 'info',
					fields: { clientId, service: 'crm', trigger: 'manual', outcome: 'refreshed' },
					msg: 'connection refresh',
				},
				{
					level: 'warn',
					fields: {
						clientId,
						service: 'crm',
						trigger: 'manual',
						outcome: 'failed',
						reason: failed.reason,
					},
					msg: 'connection refresh',
				},
			]);
			expect(failed.reason).toEqual(expect.any(String));
			expect(outcomes).toEqual(['manual:refreshed', 'manual:failed']);
		});

		it('audits each attempt that got past the due check, with its actor, code and details', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect();
			const started = Date.now();
			await refresher.refresh(clientId, 'crm', 'manual', ACTOR);
			const elapsed = Date.now() - started;
			await refresher.refresh(clientId, 'crm', 'manual', ACTOR);
			// what the refresher measured lies within what the test measured around it
			const measured = (
				await db().query<{ duration_ms: number }>(
					`SELECT duration_ms FROM audit_log WHERE action = 'connection.refresh' AND client_id = $1`,
					[clientId],
				)
			)[0]!.duration_ms;
			expect(measured).toBeGreaterThanOrEqual(0);
			expect(measured).toBeLessThanOrEqual(elapsed);
			await rig.provider.control({ mode: 'error500' });
			await set(clientId, `next_refresh_at = now() - interval '1 second'`);
			const failed = await refresher.refresh(clientId, 'crm', 'background');
			await set(clientId, `refresh_failures = 0, last_refreshed_at = NULL`);
			await rig.provider.control({ mode: 'ok' });
			const hash = hashOf(await storedToken(clientId));
			await refresher.refresh(clientId, 'crm', 'manual', ACTOR, hash);
			expect(await auditRows(clientId)).toEqual([
				{
					actor_id: ACTOR.id,
					actor_name: ACTOR.name,
					action: 'connection.refresh',
					service: 'crm',
					status_code: null,
					error_code: null,
					details: { trigger: 'manual', outcome: 'refreshed' },
				},
				{
					actor_id: 'refresher',
					actor_name: 'background refresher',
					action: 'connection.refresh',
					service: 'crm',
					status_code: null,
					error_code: 'FAILED',
					details: { trigger: 'background', outcome: 'failed', reason: failed.reason },
				},
				{
					actor_id: ACTOR.id,
					actor_name: ACTOR.name,
					action: 'connection.refresh',
					service: 'crm',
					status_code: null,
					error_code: null,
					details: { trigger: 'manual', compare: true, outcome: 'refreshed' },
				},
			]);
		});

		it('logs an audit row it could not write, and still answers the refresh', async () => {
			const { refresher, log } = refresherWith();
			const clientId = await connect();
			const outcome = await withAppendOffline(
				db(),
				async () => (await refresher.refresh(clientId, 'crm', 'manual')).outcome,
			);
			expect(outcome).toBe('refreshed');
			expect(log.calls.map((call) => [call.level, call.msg])).toEqual([
				['info', 'connection refresh'],
				['error', 'audit of a refresh failed'],
			]);
			expect(log.calls[1]!.fields.err).toBeInstanceOf(Error);
		});
	});
});
