import { describe, expect, it } from 'vitest';
import { openRefreshToken } from '../src/domain/connection-secrets.js';
import { refreshConnection } from '../src/domain/refresh/refresh-connection.js';
import { backends } from './helpers/databases.js';
import { refusal, registerRefreshRig } from './helpers/refresh-rig.js';

// refreshConnection, one attempt under the refresh lease: what it answers from the row alone, what
// it stores, what it marks needs_reauth and what it throws. Why these tests exist beside the
// request-level ones: test/helpers/refresh-rig.ts.

describe.each(backends())('the refresh decision on %s', (backend) => {
	const rig = registerRefreshRig(backend);
	const { db, calls, row, set, connect, storedToken, leaseOf, refresherWith } = rig;

	describe('refreshConnection', () => {
		const deps = () => ({
			db: db(),
			keyring: rig.vault.vault.keyring,
			timeoutMs: 5_000,
			allowInsecure: true,
		});
		const always = () => true;
		const refreshTokenOf = async (clientId: string) =>
			openRefreshToken(
				rig.vault.vault.keyring,
				clientId,
				'crm',
				(await row(clientId)).refresh_token_ciphertext!,
			);

		it('answers needs_reauth, not due and backoff from the row, without a provider call', async () => {
			const clientId = await connect();
			const judged: string[] = [];
			await set(clientId, `status = 'needs_reauth', last_error = 'invalid_grant'`);
			const dead = await refreshConnection(deps(), clientId, 'crm', (connection) => {
				judged.push(connection.status);
				return true;
			});
			expect(dead).toMatchObject({ outcome: 'needs_reauth', reason: 'invalid_grant' });
			expect(judged).toEqual([]);
			await set(clientId, `status = 'active', last_error = NULL`);
			const notDue = await refreshConnection(deps(), clientId, 'crm', () => false);
			expect(notDue.outcome).toBe('not_due');
			expect(notDue.connection.client_id).toBe(clientId);
			await set(
				clientId,
				`refresh_failures = 2, next_refresh_at = now() + interval '60 seconds', last_error = 'slow_down'`,
			);
			const backoff = await refreshConnection(deps(), clientId, 'crm', always);
			expect(backoff).toMatchObject({ outcome: 'backoff', reason: 'slow_down' });
			expect(await calls()).toBe(0);
		});

		it('marks a connection it cannot renew needs_reauth, with its webhook event', async () => {
			let result: Awaited<ReturnType<typeof refreshConnection>>;
			const clientId = await connect('crm', { refresh_token: undefined });
			const [hook] = await db().query<{ id: string }>(
				`INSERT INTO webhooks (url, events) VALUES ('http://127.0.0.1:9/hook', '{connection.needs_reauth}')
				 RETURNING id`,
			);
			const queued = () =>
				db().query<{ event: string }>(
					`SELECT event FROM webhook_deliveries WHERE payload -> 'connection' ->> 'client_id' = $1`,
					[clientId],
				);
			let events: { event: string }[];
			try {
				result = await refreshConnection(deps(), clientId, 'crm', always);
				events = await queued();
			} finally {
				await db().query('DELETE FROM webhooks WHERE id = $1', [hook!.id]);
			}
			expect(events).toEqual([{ event: 'connection.needs_reauth' }]);
			expect(result.outcome).toBe('needs_reauth');
			expect(result.reason).toBe('expired and no refresh token');
			expect(result.connection.status).toBe('needs_reauth');
			expect(result.connection.last_error).toBe('expired and no refresh token');
			expect(await calls()).toBe(0);
		});

		it('reports no event when another process marked the connection needs_reauth meanwhile', async () => {
			const clientId = await connect('crm', { refresh_token: undefined });
			const [hook] = await db().query<{ id: string }>(
				`INSERT INTO webhooks (url, events) VALUES ('http://127.0.0.1:9/hook', '{connection.needs_reauth}')
				 RETURNING id`,
			);
			let result: Awaited<ReturnType<typeof refreshConnection>>;
			let events: unknown[];
			try {
				// the row is judged due, then marked by someone else before this refresh marks it
				result = await refreshConnection(deps(), clientId, 'crm', async () => {
					await set(clientId, `status = 'needs_reauth', last_error = 'marked elsewhere'`);
					return true;
				});
				events = await db().query(
					`SELECT event FROM webhook_deliveries WHERE payload -> 'connection' ->> 'client_id' = $1`,
					[clientId],
				);
			} finally {
				await db().query('DELETE FROM webhooks WHERE id = $1', [hook!.id]);
			}
			expect(events).toEqual([]);
			expect(result.outcome).toBe('needs_reauth');
			expect(result.connection.last_error).toBe('marked elsewhere');
		});

		it('waits out a lease held elsewhere, then judges the row again: one provider call', async () => {
			await rig.provider.control({ mode: 'slow', delayMs: 300 });
			const clientId = await connect();
			const [one, two] = [refresherWith().refresher, refresherWith().refresher];
			const results = await Promise.all([
				one.refresh(clientId, 'crm', 'manual'),
				two.refresh(clientId, 'crm', 'manual'),
			]);
			expect(results.map((result) => result.outcome).sort()).toEqual(['not_due', 'refreshed']);
			expect(await calls()).toBe(1);
			expect(await leaseOf(clientId)).toBeNull();
		});

		it('stores a rotated refresh token in place of the old one, and keeps the old one otherwise', async () => {
			const kept = await connect();
			expect((await refreshConnection(deps(), kept, 'crm', always)).outcome).toBe('refreshed');
			expect(await refreshTokenOf(kept)).toBe(`rt-${kept}`);
			expect((await row(kept)).next_refresh_at).not.toBeNull();
			await rig.provider.control({ rotate: true });
			const rotated = await connect();
			expect((await refreshConnection(deps(), rotated, 'crm', always)).outcome).toBe('refreshed');
			expect(await refreshTokenOf(rotated)).toMatch(/^rt-\d+-/);
			expect((await row(rotated)).next_refresh_at).not.toBeNull();
			expect(await leaseOf(rotated)).toBeNull();
		});

		it('asks a client-credentials token for the service scopes joined by its separator', async () => {
			const machine = await connect('machine');
			const result = await refreshConnection(deps(), machine, 'machine', always);
			expect(result.outcome).toBe('refreshed');
			const stats = await rig.provider.stats();
			expect(stats.grants).toEqual({ client_credentials: 1 });
			expect(stats.lastScope).toBe('read,write');
			expect(result.connection.next_refresh_at).not.toBeNull();
			expect(result.connection.refresh_token_ciphertext).toBeNull();
			const bare = await connect('bare');
			expect((await refreshConnection(deps(), bare, 'bare', always)).outcome).toBe('refreshed');
			expect((await rig.provider.stats()).lastScope).toBeNull();
		});

		it('stores the answer: token, type, scopes, kept fields, expiry', async () => {
			const clientId = await connect();
			await set(clientId, `token_type = 'mac', scopes = '{old}'`);
			await rig.provider.control({
				answerExtra: { scope: 'a b', instance_url: 'https://eu.example.com' },
			});
			const result = await refreshConnection(deps(), clientId, 'crm', always);
			expect(result.outcome).toBe('refreshed');
			const stored = await row(clientId);
			expect(stored.token_type).toBe('Bearer');
			expect(stored.scopes).toEqual(['a', 'b']);
			expect(stored.metadata).toMatchObject({ instance_url: 'https://eu.example.com' });
			expect(stored.expires_at!.getTime()).toBeGreaterThan(Date.now() + 1800_000);
			expect(await storedToken(clientId)).toMatch(/^at-\d+-/);
			expect(result.connection.credential_ciphertext).toEqual(stored.credential_ciphertext);
		});

		it('records a refused refresh as a failure, and releases the lease', async () => {
			await rig.provider.control({ mode: 'error503', retryAfter: '120' });
			const clientId = await connect();
			const result = await refreshConnection(deps(), clientId, 'crm', always);
			expect(result.outcome).toBe('failed');
			expect(result.reason).toEqual(expect.any(String));
			expect(result.connection.refresh_failures).toBe(1);
			expect(result.connection.last_error).toBe(result.reason);
			expect(result.connection.next_refresh_at!.getTime()).toBeGreaterThan(Date.now() + 60_000);
			expect(await leaseOf(clientId)).toBeNull();
			await rig.provider.control({ retryAfter: '2' });
		});

		it('throws an error that is not the token endpoint, and releases the lease', async () => {
			const clientId = await connect();
			await set(clientId, 'refresh_token_ciphertext = credential_ciphertext');
			const error = await refusal(refreshConnection(deps(), clientId, 'crm', always));
			expect(error.code).toBe('VAULT_DECRYPTION_FAILED');
			const after = await row(clientId);
			expect(after.refresh_failures).toBe(0);
			expect(after.status).toBe('active');
			expect(await leaseOf(clientId)).toBeNull();
			expect(await calls()).toBe(0);
		});

		it('throws CONNECTION_NOT_FOUND for a connection that is not there', async () => {
			const error = await refusal(refreshConnection(deps(), 'nobody', 'crm', always));
			expect(error.code).toBe('CONNECTION_NOT_FOUND');
		});
	});
});
