import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { refreshDueConnections, DEFAULT_LOOP } from '../src/domain/refresh/refresh-loop.js';
import { evaluateAlerts } from '../src/domain/alerts/evaluate-alerts.js';
import { backends } from './helpers/databases.js';
import { TestProvider, type ScriptedAnswer } from './helpers/test-provider.js';
import { asAdmin, asInternal, startTestVault, type TestVault } from './helpers/vault-app.js';

const APP = { oauth_client_id: 'vault-app', oauth_client_secret: 'vault-app-secret' };

/** Real providers' documented refusals, as the test provider replays them (docs/PROVIDERS.md). */
const GITHUB_DEAD_REFRESH: ScriptedAnswer = {
	status: 200,
	body: {
		error: 'bad_refresh_token',
		error_description: 'The refresh token passed is incorrect or expired.',
	},
};
const ENTRA_MFA: ScriptedAnswer = {
	status: 400,
	body: {
		error: 'interaction_required',
		error_description:
			'AADSTS50079: Due to a configuration change, you must use multi-factor authentication.',
		error_codes: [50079],
	},
};
const HUBSPOT_DEAD_REFRESH: ScriptedAnswer = {
	status: 400,
	body: { status: 'BAD_REFRESH_TOKEN', message: 'missing or invalid refresh token' },
};
const dead = (status: number, body: Record<string, unknown>): ScriptedAnswer => ({ status, body });
/** Per catalog provider: an answer its documentation gives for a dead grant (docs/PROVIDERS.md). */
const DEAD_GRANTS = [
	[
		'google',
		dead(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }),
	],
	['google', dead(400, { error: 'admin_policy_enforced' })],
	['slack', dead(200, { ok: false, error: 'invalid_refresh_token' })],
	['slack', dead(200, { ok: false, error: 'token_revoked' })],
	[
		'salesforce',
		dead(400, { error: 'invalid_grant', error_description: 'expired access/refresh token' }),
	],
	['salesforce', dead(400, { error: 'inactive_user' })],
	['zoho', dead(200, { error: 'invalid_code' })],
	['xero', dead(400, { error: 'invalid_grant' })],
	['quickbooks', dead(400, { error: 'invalid_grant' })],
	[
		'dropbox',
		dead(400, { error: 'invalid_grant', error_description: 'refresh token is invalid or revoked' }),
	],
	['notion', dead(400, { error: 'invalid_grant' })],
	['airtable', dead(400, { error: 'invalid_grant' })],
	[
		'microsoft',
		dead(400, {
			error: 'invalid_grant',
			error_description: 'AADSTS700082: The refresh token has expired due to inactivity.',
			error_codes: [700082],
		}),
	],
] as const;
/** Per catalog provider: an answer refusing the agency's OAuth app itself. */
const APP_REFUSALS = [
	['github', dead(200, { error: 'incorrect_client_credentials' })],
	['slack', dead(200, { ok: false, error: 'bad_client_secret' })],
	['slack', dead(200, { ok: false, error: 'invalid_client_id' })],
	['hubspot', dead(400, { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id' })],
	[
		'salesforce',
		dead(400, { error: 'invalid_client_id', error_description: 'client identifier invalid' }),
	],
	[
		'google',
		dead(401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' }),
	],
	['google', dead(401, { error: 'deleted_client' })],
	[
		'microsoft',
		dead(400, {
			error: 'invalid_request',
			error_description: 'AADSTS90002: Tenant not found.',
			error_codes: [90002],
		}),
	],
	['xero', dead(400, { error: 'unauthorized_client' })],
	['zoho', dead(200, { error: 'invalid_client' })],
] as const;
const ENTRA_SECRET_EXPIRED: ScriptedAnswer = {
	status: 401,
	body: {
		error: 'invalid_client',
		error_description: "AADSTS7000222: The provided client secret keys for app 'x' are expired.",
		error_codes: [7000222],
	},
};

/**
 * How a token endpoint says no, replayed by the test provider process for catalog services whose
 * token URL points at it: a dead grant, a refused OAuth app, an empty answer, a Retry-After date.
 */
describe.each(backends())('token endpoint refusals on %s', (backend) => {
	let provider: TestProvider;
	let vault: TestVault;
	let seed = 0;
	const inject = (options: InjectOptions) => vault.app.inject(options);
	const sql = (text: string, params: unknown[] = []) =>
		vault.database.db.query<Record<string, any>>(text, params);
	const row = async (service: string, client = 'acme') =>
		(
			await sql(`SELECT * FROM connections WHERE client_id = $1 AND service = $2`, [
				client,
				service,
			])
		)[0]!;
	const fetchCredential = async (service: string, client = 'acme') => {
		await vault.changesSeen();
		return inject({ url: `/v1/credentials/${client}/${service}`, headers: asInternal });
	};
	const refreshNow = (service: string, client = 'acme') =>
		inject({
			method: 'POST',
			url: `/v1/credentials/${client}/${service}/refresh`,
			headers: asInternal,
		});
	/** A connection whose refresh token the provider accepts, expiring in `expiresIn` seconds. */
	const connect = async (service: string, expiresIn: number, client = 'acme') => {
		seed += 1;
		await provider.allowRefreshToken(`rt-no-${seed}`);
		const stored = await inject({
			method: 'PUT',
			url: `/v1/clients/${client}/connections/${service}`,
			headers: asAdmin,
			payload: {
				access_token: `at-no-${seed}`,
				refresh_token: `rt-no-${seed}`,
				expires_in: expiresIn,
			},
		});
		expect(stored.statusCode).toBeLessThan(300);
	};
	/** Points a catalog service (with its migration's error codes) at the test provider. */
	const useCatalog = async (service: string) => {
		const patched = await inject({
			method: 'PATCH',
			url: `/v1/services/${service}`,
			headers: asAdmin,
			payload: { oauth_token_url: provider.tokenUrl, ...APP },
		});
		expect(patched.statusCode).toBe(200);
	};
	const pass = () =>
		refreshDueConnections(vault.database.db, vault.app.refresher, DEFAULT_LOOP, vault.app.log);
	const tokenCalls = async () => (await provider.stats()).tokenCalls;

	beforeAll(async () => {
		provider = await TestProvider.start();
		vault = await startTestVault(backend, {
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
		});
		for (const [id, name] of [
			['acme', 'Acme'],
			['beta', 'Beta'],
		])
			await inject({ method: 'POST', url: '/v1/clients', headers: asAdmin, payload: { id, name } });
		const catalog = new Set(['github', 'microsoft', 'hubspot']);
		for (const [service] of [...DEAD_GRANTS, ...APP_REFUSALS]) catalog.add(service);
		for (const service of catalog) await useCatalog(service);
		// the original design's INSERT: no error codes of its own, the RFC defaults apply
		await sql(
			`INSERT INTO services (name, display_name, oauth_type, oauth_authorization_url, oauth_token_url, oauth_scopes)
			 VALUES ('tenant-app', 'Tenant app', 'oauth2', $1, $2, 'openid offline_access')`,
			[`${provider.baseUrl}/authorize`, provider.tokenUrl],
		);
		await inject({
			method: 'PATCH',
			url: '/v1/services/tenant-app',
			headers: asAdmin,
			payload: APP,
		});
	});
	afterAll(async () => {
		await vault?.close();
		await provider?.stop();
	});
	beforeEach(async () => {
		await provider.control({
			mode: 'ok',
			scripted: null,
			clientRefusal: null,
			retryAfter: '2',
			...{ clientId: APP.oauth_client_id, clientSecret: APP.oauth_client_secret },
		});
		await provider.resetStats();
	});

	it.each([
		['github', 'HTTP 200 bad_refresh_token without an access_token', GITHUB_DEAD_REFRESH],
		['microsoft', 'Entra 400 interaction_required (AADSTS50079, MFA)', ENTRA_MFA],
		['tenant-app', 'interaction_required on a service added by SQL', ENTRA_MFA],
		['hubspot', 'HubSpot 400 {"status": "BAD_REFRESH_TOKEN"}', HUBSPOT_DEAD_REFRESH],
	] as const)(
		'%s: %s marks needs_reauth, answers 409 with the reconnect hint, and calls the provider no more',
		async (service, _answer, refusal) => {
			await connect(service, 5);
			await provider.control({ scripted: refusal });
			const fetched = await fetchCredential(service);
			expect(fetched.statusCode).toBe(409);
			expect(fetched.json()).toMatchObject({ code: 'CONNECTION_NEEDS_REAUTH' });
			expect(fetched.json().reconnect_hint).toContain('/v1/connect-links');
			expect(await row(service)).toMatchObject({ status: 'needs_reauth', next_refresh_at: null });
			expect(await tokenCalls()).toBe(1);
			expect((await refreshNow(service)).statusCode).toBe(409);
			expect((await fetchCredential(service)).statusCode).toBe(409);
			await sql(`UPDATE connections SET next_refresh_at = now() WHERE service = $1`, [service]);
			await pass();
			expect(await tokenCalls()).toBe(1);
		},
	);

	it.each(DEAD_GRANTS)(
		'%s: a dead grant %j needs the client to reconnect',
		async (service, answer) => {
			await connect(service, 3600);
			await provider.control({ scripted: answer });
			const refreshed = await refreshNow(service);
			expect(refreshed.statusCode).toBe(409);
			expect(refreshed.json().code).toBe('CONNECTION_NEEDS_REAUTH');
			expect((await row(service)).status).toBe('needs_reauth');
			expect(await tokenCalls()).toBe(1);
		},
	);

	it.each(APP_REFUSALS)(
		'%s: %j is the OAuth app refused: recorded on the service, the connection untouched',
		async (service, answer) => {
			await connect(service, 3600);
			await provider.control({ scripted: answer });
			const refreshed = await refreshNow(service);
			expect(refreshed.statusCode).toBe(503);
			expect(refreshed.json().message).toContain("refused the OAuth app's credentials");
			expect(await row(service)).toMatchObject({ status: 'active', refresh_failures: 0 });
			const shown = (await inject({ url: `/v1/services/${service}`, headers: asAdmin })).json();
			expect(shown.app_error).toMatch(/HTTP \d{3}/);
			// set-up of the next case: the same app again clears the refusal
			await useCatalog(service);
			expect(
				(await inject({ url: `/v1/services/${service}`, headers: asAdmin })).json().app_error,
			).toBeNull();
		},
	);

	it.each([
		['microsoft', dead(400, { error: 'temporarily_unavailable' })],
		['zoom', dead(400, { error: 'invalid_request', reason: 'Invalid Token!' })],
		['pipedrive', dead(200, { success: false, error: 'unknown' })],
	] as const)(
		'%s: %j is transient: the connection backs off and stays active',
		async (service, answer) => {
			await useCatalog(service);
			await connect(service, 3600);
			await provider.control({ scripted: answer });
			expect((await refreshNow(service)).statusCode).toBe(503);
			const stored = await row(service);
			expect(stored).toMatchObject({ status: 'active', refresh_failures: 1 });
			expect(stored.next_refresh_at.getTime()).toBeGreaterThan(Date.now());
		},
	);

	it('an answer with neither access_token nor error is a failed refresh that stores nothing', async () => {
		await connect('github', 3600);
		const before = await row('github');
		await provider.control({ scripted: { status: 200, body: { token_type: 'bearer' } } });
		const refreshed = await refreshNow('github');
		expect(refreshed.statusCode).toBe(503);
		expect(refreshed.json().code).toBe('REFRESH_FAILED');
		const after = await row('github');
		expect(after.credential_ciphertext).toEqual(before.credential_ciphertext);
		expect(after).toMatchObject({ status: 'active', refresh_failures: 1 });
	});

	it.each(['error429', 'error503'] as const)(
		'%s with Retry-After as an HTTP-date 10 min ahead: no attempt before it, and the fetch says when',
		async (mode) => {
			await connect('tenant-app', 0);
			const at = new Date(Date.now() + 600_000);
			await provider.control({ mode, retryAfter: at.toUTCString() });
			const before = Date.now();
			const fetched = await fetchCredential('tenant-app');
			expect(fetched.statusCode).toBe(503);
			expect(fetched.json().code).toBe('REFRESH_FAILED');
			const stored = await row('tenant-app');
			// the date has whole seconds: up to 1 s earlier than `at`, never before the 10 min
			expect(stored.next_refresh_at.getTime()).toBeGreaterThanOrEqual(before + 598_000);
			expect(fetched.json().message).toContain(stored.next_refresh_at.toISOString());
			const wait = Number(fetched.headers['retry-after']);
			expect(wait).toBeGreaterThanOrEqual(590);
			expect(wait).toBeLessThanOrEqual(601);
			const again = await fetchCredential('tenant-app');
			expect(again.statusCode).toBe(503);
			expect(Number(again.headers['retry-after'])).toBeGreaterThan(580);
			expect(await tokenCalls()).toBe(1);
		},
	);

	it("Entra 401 invalid_client (AADSTS7000222): one service alert, connections unharmed, fixed by the service's new secret", async () => {
		await connect('microsoft', 3600, 'acme');
		await connect('microsoft', 3600, 'beta');
		await sql(`UPDATE connections SET next_refresh_at = now() WHERE service = 'microsoft'`);
		// the agency's secret expired at the provider: it accepts only the new one
		await provider.control({ clientSecret: 'rotated-secret', clientRefusal: ENTRA_SECRET_EXPIRED });
		await pass();
		// the pass runs its lanes side by side: each lane already under way may call once, no more
		const refused = await tokenCalls();
		expect(refused).toBeGreaterThanOrEqual(1);
		expect(refused).toBeLessThanOrEqual(Math.min(2, DEFAULT_LOOP.concurrency));
		for (const client of ['acme', 'beta'])
			expect(await row('microsoft', client)).toMatchObject({
				status: 'active',
				refresh_failures: 0,
				last_error: null,
			});
		const service = (await inject({ url: '/v1/services/microsoft', headers: asAdmin })).json();
		expect(service.app_error).toContain('AADSTS7000222');
		const { opened } = (await evaluateAlerts(vault.database.db, vault.config.alerts, 0))!;
		const appAlerts = opened.filter((alert) => alert.service === 'microsoft');
		expect(appAlerts.map((alert) => [alert.rule, alert.subject])).toEqual([
			['service_app_refused', 'service/microsoft'],
		]);
		await pass();
		expect(await tokenCalls()).toBe(refused);

		// a still-valid token is served; an expired one answers 503 naming the app problem
		expect((await fetchCredential('microsoft', 'beta')).statusCode).toBe(200);
		await sql(
			`UPDATE connections SET expires_at = now() - interval '1 minute' WHERE client_id = 'acme' AND service = 'microsoft'`,
		);
		const expired = await fetchCredential('microsoft', 'acme');
		expect(expired.statusCode).toBe(503);
		expect(expired.json().message).toContain("refused the OAuth app's credentials");
		expect(await tokenCalls()).toBe(refused);

		// Refresh Now is the operator's explicit ask: it calls the provider
		expect((await refreshNow('microsoft', 'acme')).statusCode).toBe(503);
		expect(await tokenCalls()).toBe(refused + 1);

		// a connection backing off for an unrelated failure is freed by the app's change too
		await sql(
			`UPDATE connections SET refresh_failures = 3, next_refresh_at = now() + interval '50 minutes' WHERE client_id = 'beta' AND service = 'microsoft'`,
		);
		const fixed = await inject({
			method: 'PATCH',
			url: '/v1/services/microsoft',
			headers: asAdmin,
			payload: { oauth_client_secret: 'rotated-secret' },
		});
		expect(fixed.statusCode).toBe(200);
		expect(fixed.json()).toMatchObject({ app_error: null, app_error_at: null });
		expect((await row('microsoft', 'beta')).next_refresh_at.getTime()).toBeLessThanOrEqual(
			Date.now(),
		);
		const served = await fetchCredential('microsoft', 'acme');
		expect(served.statusCode).toBe(200);
		expect(served.json().access_token).toMatch(/^at-\d+-/);
		expect(await tokenCalls()).toBe(refused + 2);
		const { resolved } = (await evaluateAlerts(vault.database.db, vault.config.alerts, 0))!;
		expect(resolved.map((alert) => alert.subject)).toContain('service/microsoft');
	});

	it('POST and PATCH /v1/services set the error codes; bad codes are a 400', async () => {
		const created = await inject({
			method: 'POST',
			url: '/v1/services',
			headers: asAdmin,
			payload: {
				name: 'erp',
				display_name: 'ERP',
				oauth_token_url: provider.tokenUrl,
				reauth_error_codes: ['session_dead', 'AADSTS50173'],
				app_error_codes: ['app_banned'],
				...APP,
			},
		});
		expect(created.statusCode).toBe(201);
		expect(created.json()).toMatchObject({
			reauth_error_codes: ['session_dead', 'AADSTS50173'],
			app_error_codes: ['app_banned'],
			app_error: null,
		});
		await connect('erp', 5);
		await provider.control({ scripted: { status: 400, body: { error: 'session_dead' } } });
		expect((await fetchCredential('erp')).statusCode).toBe(409);
		const patched = await inject({
			method: 'PATCH',
			url: '/v1/services/erp',
			headers: asAdmin,
			payload: { reauth_error_codes: [] },
		});
		expect(patched.json().reauth_error_codes).toEqual([]);
		for (const bad of [['has space'], ['x'.repeat(65)], 'invalid_grant', [1]]) {
			const refused = await inject({
				method: 'PATCH',
				url: '/v1/services/erp',
				headers: asAdmin,
				payload: { app_error_codes: bad },
			});
			expect(refused.statusCode, JSON.stringify(bad)).toBe(400);
			expect(refused.json().code).toBe('VALIDATION_FAILED');
		}
	});
});
