import { describe, expect, it, vi } from 'vitest';
import { storedTokenIs } from '../src/domain/refresh/refused-token.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { backends } from './helpers/databases.js';
import { ACTOR, hashOf, refusal, registerRefreshRig } from './helpers/refresh-rig.js';

// What a caller is answered: freshForFetch serving, refreshing or refusing a token, and
// refreshOnDemand with and without a refused token to compare. Why these tests exist beside the
// request-level ones: test/helpers/refresh-rig.ts.

describe.each(backends())('the refresh decision on %s', (backend) => {
	const rig = registerRefreshRig(backend);
	const { calls, row, set, connect, leaseOf, refresherWith } = rig;

	describe('freshForFetch', () => {
		it('returns a connection that is not OAuth as it is, even expired', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect('keys', { api_key: 'sk-old' });
			await set(clientId, `expires_at = now() - interval '1 hour'`, 'keys');
			const connection = await row(clientId, 'keys');
			expect(await refresher.freshForFetch(connection, ACTOR)).toBe(connection);
			expect((await row(clientId, 'keys')).status).toBe('active');
		});

		it('returns a token that does not expire within the skew as it is', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(clientId, `expires_at = now() + interval '120 seconds'`);
			const connection = await row(clientId);
			expect(await refresher.freshForFetch(connection, ACTOR)).toBe(connection);
			expect(await calls()).toBe(0);
		});

		it('refreshes a token that expires within the skew, and a client-credentials token never fetched', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(clientId, `expires_at = now() + interval '30 seconds'`);
			const fresh = await refresher.freshForFetch(await row(clientId), ACTOR);
			expect(fresh.last_refreshed_at).not.toBeNull();
			expect(fresh.expires_at!.getTime()).toBeGreaterThan(Date.now() + 1800_000);
			const machine = await connect('machine');
			const token = await refresher.freshForFetch(await row(machine, 'machine'), ACTOR);
			expect(token.last_refreshed_at).not.toBeNull();
			expect(await calls()).toBe(2);
		});

		it('serves a token the provider has just issued, even one whose lifetime is already over', async () => {
			await rig.provider.control({ expiresIn: 0 });
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(clientId, `expires_at = now() + interval '30 seconds'`);
			const fresh = await refresher.freshForFetch(await row(clientId), ACTOR);
			expect(fresh.last_refreshed_at).not.toBeNull();
			expect(fresh.expires_at!.getTime()).toBeLessThanOrEqual(Date.now());
			expect(await calls()).toBe(1);
		});

		it('serves a still-valid token in backoff, and refuses an expired one with when to retry', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(
				clientId,
				`expires_at = now() + interval '30 seconds', refresh_failures = 1,
				 next_refresh_at = now() + interval '60 seconds', last_error = 'server_error'`,
			);
			const valid = await row(clientId);
			expect(await refresher.freshForFetch(valid, ACTOR)).toBe(valid);
			await set(clientId, `expires_at = now() - interval '1 second'`);
			const expired = await row(clientId);
			const error = await refusal(refresher.freshForFetch(expired, ACTOR));
			expect(error.code).toBe('REFRESH_FAILED');
			expect(error.message).toBe(
				`The token of '${clientId}' for 'crm' expired and could not be refreshed (server_error)` +
					`; next attempt after ${expired.next_refresh_at!.toISOString()}`,
			);
			expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(30);
			expect(error.retryAfterSeconds).toBeLessThanOrEqual(60);
			expect(await calls()).toBe(0);
		});

		it('refuses an expired token whose row went into backoff since it was read', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(clientId, `expires_at = now() - interval '1 second'`);
			const stale = await row(clientId);
			await set(clientId, `refresh_failures = 1, next_refresh_at = now() + interval '60 seconds'`);
			const error = await refusal(refresher.freshForFetch(stale, ACTOR));
			expect(error.code).toBe('REFRESH_FAILED');
			expect(error.message).toMatch(/could not be refreshed; next attempt after /);
			expect(error.retryAfterSeconds).toBeGreaterThan(0);
			expect(await calls()).toBe(0);
		});

		it('throws CONNECTION_NEEDS_REAUTH when the grant is dead', async () => {
			await rig.provider.control({ mode: 'invalid_grant' });
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(clientId, `expires_at = now() + interval '30 seconds'`);
			const error = await refusal(refresher.freshForFetch(await row(clientId), ACTOR));
			expect(error.code).toBe('CONNECTION_NEEDS_REAUTH');
			expect((await row(clientId)).status).toBe('needs_reauth');
		});

		it('serves a still-valid token through a failed refresh, and refuses an expired one', async () => {
			await rig.provider.control({ mode: 'error500' });
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(clientId, `expires_at = now() + interval '30 seconds'`);
			const served = await refresher.freshForFetch(await row(clientId), ACTOR);
			expect(served.refresh_failures).toBe(1);
			expect(served.last_error).toEqual(expect.any(String));
			const other = await connect();
			await set(other, `expires_at = now() - interval '1 second'`);
			const error = await refusal(refresher.freshForFetch(await row(other), ACTOR));
			expect(error.code).toBe('REFRESH_FAILED');
			const failed = await row(other);
			expect(error.message).toContain(`could not be refreshed (${failed.last_error})`);
			expect(error.retryAfterSeconds).toBeGreaterThan(0);
		});
	});

	describe('refreshOnDemand', () => {
		it('refuses a connection it cannot renew, and answers the newer one when the refused token is gone', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect('crm', { refresh_token: undefined });
			const connection = await row(clientId);
			const plain = await refusal(refresher.refreshOnDemand(connection, ACTOR));
			expect(plain.code).toBe('CREDENTIAL_NOT_ALLOWED');
			expect(plain.message).toBe(`The connection of '${clientId}' to 'crm' cannot be refreshed`);
			const stored = await refusal(
				refresher.refreshOnDemand(connection, ACTOR, {
					ifAccessTokenSha256: hashOf(`at-${clientId}`).toUpperCase(),
				}),
			);
			expect(stored.code).toBe('CREDENTIAL_NOT_ALLOWED');
			expect(stored.message).toContain('is the one that was refused');
			const gone = await refresher.refreshOnDemand(connection, ACTOR, {
				ifAccessTokenSha256: hashOf('an older token'),
			});
			expect(gone).toEqual({ connection, refreshed: false, matched: false });
			expect(await calls()).toBe(0);
		});

		it('compares the key of an API-key connection', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect('keys', { api_key: 'sk-current' });
			const connection = await row(clientId, 'keys');
			const stored = await refusal(
				refresher.refreshOnDemand(connection, ACTOR, { ifAccessTokenSha256: hashOf('sk-current') }),
			);
			expect(stored.code).toBe('CREDENTIAL_NOT_ALLOWED');
			const gone = await refresher.refreshOnDemand(connection, ACTOR, {
				ifAccessTokenSha256: hashOf('sk-old'),
			});
			expect(gone.matched).toBe(false);
			const match = storedTokenIs(rig.vault.vault.keyring, hashOf('sk-current'));
			expect(await match(connection, Date.now())).toBe(true);
			expect(await storedTokenIs(rig.vault.vault.keyring, hashOf('sk-old'))(connection, 0)).toBe(
				false,
			);
		});

		it('finds no bearer value in a basic-auth connection', async () => {
			const clientId = await connect('login', { username: 'ann', password: 'pw' });
			const isRefused = storedTokenIs(rig.vault.vault.keyring, hashOf('pw'));
			expect(await isRefused(await row(clientId, 'login'), Date.now())).toBe(false);
		});

		it('refreshes when the refused token is stored, in either case, once for both callers', async () => {
			await rig.provider.control({ mode: 'slow', delayMs: 200 });
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(clientId, `last_refreshed_at = now()`);
			const hash = hashOf(`at-${clientId}`);
			const connection = await row(clientId);
			const [lower, upper] = await Promise.all([
				refresher.refreshOnDemand(connection, ACTOR, { ifAccessTokenSha256: hash }),
				refresher.refreshOnDemand(connection, ACTOR, { ifAccessTokenSha256: hash.toUpperCase() }),
			]);
			expect(lower).toMatchObject({ refreshed: true, matched: true });
			expect(upper).toMatchObject({ refreshed: true, matched: true });
			expect(lower.connection.last_refreshed_at!.getTime()).toBeGreaterThan(
				connection.last_refreshed_at!.getTime(),
			);
			const again = await refresher.refreshOnDemand(await row(clientId), ACTOR, {
				ifAccessTokenSha256: hash,
			});
			expect(again).toMatchObject({ refreshed: false, matched: false });
			expect(await calls()).toBe(1);
		});

		it('answers refreshed false without calling the provider within the manual interval', async () => {
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(clientId, `last_refreshed_at = now()`);
			const answer = await refresher.refreshOnDemand(await row(clientId), ACTOR);
			expect(answer.refreshed).toBe(false);
			expect(answer).not.toHaveProperty('matched');
			expect(answer.connection.client_id).toBe(clientId);
			await set(clientId, 'last_refreshed_at = NULL');
			const refreshed = await refresher.refreshOnDemand(await row(clientId), ACTOR);
			expect(refreshed.refreshed).toBe(true);
			expect(refreshed).not.toHaveProperty('matched');
			expect(await calls()).toBe(1);
		});

		it('throws REFRESH_FAILED with the reason, or without one, and CONNECTION_NEEDS_REAUTH', async () => {
			await rig.provider.control({ mode: 'error500' });
			const { refresher } = refresherWith();
			const clientId = await connect();
			const failed = await refusal(refresher.refreshOnDemand(await row(clientId), ACTOR));
			expect(failed.code).toBe('REFRESH_FAILED');
			expect(failed.message).toBe(
				`The refresh failed (${(await row(clientId)).last_error}); the stored token is unchanged`,
			);
			await set(clientId, 'last_error = NULL');
			const backoff = await refusal(refresher.refreshOnDemand(await row(clientId), ACTOR));
			expect(backoff.message).toBe('The refresh failed; the stored token is unchanged');
			await set(clientId, `status = 'needs_reauth'`);
			const dead = await refusal(refresher.refreshOnDemand(await row(clientId), ACTOR));
			expect(dead.code).toBe('CONNECTION_NEEDS_REAUTH');
			expect(await calls()).toBe(1);
		});

		it('answers a superseded refresh as not refreshed, leaving the row as the other writer left it', async () => {
			await rig.provider.control({ mode: 'slow', delayMs: 300 });
			const { refresher, log } = refresherWith();
			const clientId = await connect();
			const answer = refresher.refreshOnDemand(await row(clientId), ACTOR);
			await vi.waitFor(async () => expect(await leaseOf(clientId)).not.toBeNull(), WAIT_BOUND);
			await set(clientId, `refresh_lease_owner = 'elsewhere'`);
			const result = await answer;
			expect(result.refreshed).toBe(false);
			expect(result.connection.last_refreshed_at).toBeNull();
			expect(await calls()).toBe(1);
			expect(log.calls.at(-1)).toMatchObject({
				level: 'info',
				fields: { outcome: 'superseded' },
			});
			await set(clientId, 'refresh_lease_owner = NULL, refresh_lease_until = NULL');
		});
	});
});
