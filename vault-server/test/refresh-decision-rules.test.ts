import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import type { Actor } from '../src/domain/api-tokens.js';
import { AuditWriter } from '../src/domain/audit-writer.js';
import { openCredentialSecret, openRefreshToken } from '../src/domain/connection-secrets.js';
import { ConnectionRefresher } from '../src/domain/refresh/connection-refresher.js';
import { refreshConnection } from '../src/domain/refresh/refresh-connection.js';
import { appRefusedReason } from '../src/domain/refresh/refresh-failure.js';
import { accessTokenSha256, storedTokenIs } from '../src/domain/refresh/refused-token.js';
import { refreshStore } from '../src/storage/refresh-store.js';
import { servicesStore } from '../src/storage/services-store.js';
import { VaultError } from '../src/errors.js';
import { withAppendOffline } from './helpers/audit-fixtures.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { backends } from './helpers/databases.js';
import { TestProvider } from './helpers/test-provider.js';
import { asAdmin, startTestVault, type TestVault } from './helpers/vault-app.js';

// Each rule of the refresh decision (domain/refresh/connection-refresher.ts, refresh-connection.ts,
// refused-token.ts), with refreshers of the test's own over one vault's database and the real test
// OAuth2 provider: small enough to rerun for every mutant of `npm run mutation -- refresh-decision`.
// refresh.test.ts, compare-refresh.test.ts, manual-refresh.test.ts and refresh-backoff.test.ts
// test the same through requests.

const SKEW_SECONDS = 60;
const MANUAL_INTERVAL_MS = 60_000;
const ACTOR: Actor = {
	id: 'tok-1',
	name: 'the caller',
	scope: 'admin',
	clients: null,
	source: 'database',
};

/** A pino-like logger of the test's own: every call, by level. */
class RecordingLog {
	calls: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
	level = 'info';
	child() {
		return this;
	}
	#log = (level: string) => (fields: Record<string, unknown>, msg: string) =>
		this.calls.push({ level, fields, msg });
	trace = this.#log('trace');
	debug = this.#log('debug');
	info = this.#log('info');
	warn = this.#log('warn');
	error = this.#log('error');
	fatal = this.#log('fatal');
	silent = () => {};
}

const hashOf = (token: string) => accessTokenSha256(token).toString('hex');

describe.each(backends())('the refresh decision on %s', (backend) => {
	let provider: TestProvider;
	let vault: TestVault;
	let audit: AuditWriter;
	let count = 0;

	const db = () => vault.database.db;
	const calls = async () => (await provider.stats()).tokenCalls;
	const row = async (clientId: string, service = 'crm') =>
		(await refreshStore(db()).readForRefresh(clientId, service))!;
	const set = (clientId: string, assignments: string, service = 'crm') =>
		db().query(`UPDATE connections SET ${assignments} WHERE client_id = $1 AND service = $2`, [
			clientId,
			service,
		]);
	const admin = async (method: 'POST' | 'PUT', url: string, payload: unknown) => {
		const answer = await vault.app.inject({ method, url, headers: asAdmin, payload: payload! });
		expect(`${url} ${answer.statusCode}`).toMatch(/ 2\d\d$/);
	};
	/** A new client with a connection to `service`; for crm, one the provider can refresh. */
	const connect = async (service = 'crm', body: Record<string, unknown> = {}) => {
		count += 1;
		const clientId = `c${count}`;
		await admin('POST', '/v1/clients', { id: clientId, name: clientId });
		const tokens =
			service === 'crm'
				? { access_token: `at-${clientId}`, refresh_token: `rt-${clientId}`, expires_in: 3600 }
				: {};
		if (service === 'crm') await provider.allowRefreshToken(`rt-${clientId}`);
		await admin('PUT', `/v1/clients/${clientId}/connections/${service}`, { ...tokens, ...body });
		return clientId;
	};
	const storedToken = async (clientId: string) => {
		const connection = await row(clientId);
		const secret = await openCredentialSecret(
			vault.vault.keyring,
			clientId,
			'crm',
			connection.credential_ciphertext,
		);
		return secret.access_token!;
	};
	const leaseOf = async (clientId: string) =>
		(
			await db().query<{ owner: string | null }>(
				`SELECT refresh_lease_owner AS owner FROM connections WHERE client_id = $1`,
				[clientId],
			)
		)[0]!.owner;
	const auditRows = (clientId: string) =>
		db().query<Record<string, unknown>>(
			`SELECT actor_id, actor_name, action, service, status_code, error_code, details
			 FROM audit_log WHERE action = 'connection.refresh' AND client_id = $1 ORDER BY id`,
			[clientId],
		);

	const refresherWith = (
		options: Partial<ConstructorParameters<typeof ConnectionRefresher>[0]> = {},
	) => {
		const log = new RecordingLog();
		const outcomes: string[] = [];
		const settled: string[] = [];
		const refresher = new ConnectionRefresher({
			db: db(),
			keyring: vault.vault.keyring,
			timeoutMs: 5_000,
			allowInsecure: true,
			audit,
			log: log as unknown as FastifyBaseLogger,
			skewSeconds: SKEW_SECONDS,
			callerConcurrency: 4,
			callerQueueLimit: 4,
			manualIntervalMs: MANUAL_INTERVAL_MS,
			onOutcome: (trigger, outcome) => outcomes.push(`${trigger}:${outcome}`),
			onSettled: (clientId, service) => settled.push(`${clientId}/${service}`),
			...options,
		});
		return { refresher, log, outcomes, settled };
	};
	/** The error `promise` rejects with, or fails the test when it resolves. */
	const refusal = async (promise: Promise<unknown>): Promise<VaultError> => {
		const error = await promise.then(
			() => undefined,
			(caught: unknown) => caught,
		);
		expect(error).toBeInstanceOf(VaultError);
		return error as VaultError;
	};

	beforeAll(async () => {
		provider = await TestProvider.start();
		vault = await startTestVault(backend, {
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
		});
		audit = new AuditWriter(db(), vault.vault.keyring);
		const oauth = { oauth_token_url: provider.tokenUrl, oauth_client_id: 'vault-app' };
		for (const service of [
			{ name: 'crm', oauth_type: 'oauth2', answer_fields: ['instance_url'], ...oauth },
			{ name: 'shaky', oauth_type: 'oauth2', ...oauth },
			{
				name: 'machine',
				oauth_type: 'oauth2_client_credentials',
				oauth_scopes: 'read write',
				scope_separator: ',',
				...oauth,
			},
			{ name: 'bare', oauth_type: 'oauth2_client_credentials', ...oauth },
			{ name: 'keys', oauth_type: 'api_key' },
			{ name: 'login', oauth_type: 'basic' },
		])
			await admin('POST', '/v1/services', {
				display_name: service.name,
				...(service.oauth_type.startsWith('oauth2')
					? { oauth_client_secret: 'vault-app-secret' }
					: {}),
				...service,
			});
	});
	afterAll(async () => {
		await vault?.close();
		await provider?.stop();
	});
	beforeEach(async () => {
		await provider.control({
			mode: 'ok',
			delayMs: 0,
			rotate: false,
			expiresIn: 3600,
			omitRefreshToken: false,
			answerExtra: {},
		});
		await provider.resetStats();
	});

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
			await provider.control({ mode: 'slow', delayMs: 200 });
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
			await provider.control({ mode: 'slow', delayMs: 300 });
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
			await provider.control({ expiresIn: 0 });
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
			await provider.control({ mode: 'invalid_grant' });
			const { refresher } = refresherWith();
			const clientId = await connect();
			await set(clientId, `expires_at = now() + interval '30 seconds'`);
			const error = await refusal(refresher.freshForFetch(await row(clientId), ACTOR));
			expect(error.code).toBe('CONNECTION_NEEDS_REAUTH');
			expect((await row(clientId)).status).toBe('needs_reauth');
		});

		it('serves a still-valid token through a failed refresh, and refuses an expired one', async () => {
			await provider.control({ mode: 'error500' });
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
			const match = storedTokenIs(vault.vault.keyring, hashOf('sk-current'));
			expect(await match(connection, Date.now())).toBe(true);
			expect(await storedTokenIs(vault.vault.keyring, hashOf('sk-old'))(connection, 0)).toBe(false);
		});

		it('finds no bearer value in a basic-auth connection', async () => {
			const clientId = await connect('login', { username: 'ann', password: 'pw' });
			const isRefused = storedTokenIs(vault.vault.keyring, hashOf('pw'));
			expect(await isRefused(await row(clientId, 'login'), Date.now())).toBe(false);
		});

		it('refreshes when the refused token is stored, in either case, once for both callers', async () => {
			await provider.control({ mode: 'slow', delayMs: 200 });
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
			await provider.control({ mode: 'error500' });
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
			await provider.control({ mode: 'slow', delayMs: 300 });
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
			await provider.allowRefreshToken('rt-s2');
			await refuseApp();
			await provider.control({ mode: 'error500' });
			expect((await refresher.refresh(clientId, 'shaky', 'manual')).outcome).toBe('failed');
			expect((await servicesStore(db()).get('shaky'))!.app_error).toBe('invalid_client');
			await provider.control({ mode: 'ok' });
			await set(clientId, 'refresh_failures = 0, next_refresh_at = NULL', 'shaky');
			expect((await refresher.refresh(clientId, 'shaky', 'manual')).outcome).toBe('refreshed');
			expect((await servicesStore(db()).get('shaky'))!.app_error).toBeNull();
			expect(await calls()).toBe(2);
		});
	});

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
			await provider.control({ mode: 'error500' });
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
			await provider.control({ mode: 'error500' });
			await set(clientId, `next_refresh_at = now() - interval '1 second'`);
			const failed = await refresher.refresh(clientId, 'crm', 'background');
			await set(clientId, `refresh_failures = 0, last_refreshed_at = NULL`);
			await provider.control({ mode: 'ok' });
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

	describe('refreshConnection', () => {
		const deps = () => ({
			db: db(),
			keyring: vault.vault.keyring,
			timeoutMs: 5_000,
			allowInsecure: true,
		});
		const always = () => true;
		const refreshTokenOf = async (clientId: string) =>
			openRefreshToken(
				vault.vault.keyring,
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
			await provider.control({ mode: 'slow', delayMs: 300 });
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
			await provider.control({ rotate: true });
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
			const stats = await provider.stats();
			expect(stats.grants).toEqual({ client_credentials: 1 });
			expect(stats.lastScope).toBe('read,write');
			expect(result.connection.next_refresh_at).not.toBeNull();
			expect(result.connection.refresh_token_ciphertext).toBeNull();
			const bare = await connect('bare');
			expect((await refreshConnection(deps(), bare, 'bare', always)).outcome).toBe('refreshed');
			expect((await provider.stats()).lastScope).toBeNull();
		});

		it('stores the answer: token, type, scopes, kept fields, expiry', async () => {
			const clientId = await connect();
			await set(clientId, `token_type = 'mac', scopes = '{old}'`);
			await provider.control({
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
			await provider.control({ mode: 'error503', retryAfter: '120' });
			const clientId = await connect();
			const result = await refreshConnection(deps(), clientId, 'crm', always);
			expect(result.outcome).toBe('failed');
			expect(result.reason).toEqual(expect.any(String));
			expect(result.connection.refresh_failures).toBe(1);
			expect(result.connection.last_error).toBe(result.reason);
			expect(result.connection.next_refresh_at!.getTime()).toBeGreaterThan(Date.now() + 60_000);
			expect(await leaseOf(clientId)).toBeNull();
			await provider.control({ retryAfter: '2' });
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
