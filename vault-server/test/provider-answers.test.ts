import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { backends } from './helpers/databases.js';
import { TestProvider } from './helpers/test-provider.js';
import { asAdmin, asInternal } from './helpers/vault-app.js';
import {
	approve,
	browse,
	createLink,
	openLink,
	startConnectRig,
	type ConnectRig,
} from './helpers/connect-rig.js';

/**
 * What a token answer carries beside the token (issue 14 item 3) and regional authorization
 * servers (item 4), through the connect flow and Refresh Now, against the test provider process
 * answering as Salesforce, Slack and Zoho do. A second provider process is Zoho's EU server.
 */
describe.each(backends())('provider answers and regions on %s', (backend) => {
	let rig: ConnectRig;
	let provider: TestProvider;
	let eu: TestProvider;
	let serial = 0;
	const inject = (options: InjectOptions) => rig.vault.app.inject(options);
	const fetchCredential = (service: string) =>
		inject({ url: `/v1/credentials/acme/${service}`, headers: asInternal });
	const refreshNow = (service: string) =>
		inject({
			method: 'POST',
			url: `/v1/credentials/acme/${service}/refresh`,
			headers: asInternal,
		});
	const connectionRow = async (service: string) =>
		(
			await rig.vault.database.db.query<{
				expires_at: Date | null;
				next_refresh_at: Date | null;
				accounts_server: string | null;
				metadata: Record<string, unknown>;
			}>(`SELECT * FROM connections WHERE client_id = 'acme' AND service = $1`, [service])
		)[0];

	/** A service at the test provider with the given answer settings; a fresh name each time. */
	const addService = async (settings: Record<string, unknown>) => {
		serial += 1;
		const name = `svc-${serial}`;
		const created = await inject({
			method: 'POST',
			url: '/v1/services',
			headers: asAdmin,
			payload: {
				name,
				display_name: `Service ${serial}`,
				oauth_type: 'oauth2',
				oauth_authorization_url: `${provider.baseUrl}/authorize`,
				oauth_token_url: provider.tokenUrl,
				oauth_scopes: 'contacts.read contacts.write',
				oauth_client_id: 'vault-app',
				oauth_client_secret: 'vault-app-secret',
				...settings,
			},
		});
		expect(created.statusCode, created.body).toBe(201);
		return name;
	};

	/** Opens a link for acme and answers the provider's redirect with these query parameters. */
	const callback = async (service: string, extra: Record<string, string> = {}) => {
		const authorizeUrl = await openLink(await createLink(rig, 'acme', service));
		const query = new URLSearchParams({
			code: `code-${serial}`,
			state: authorizeUrl.searchParams.get('state')!,
			...extra,
		});
		const answer = await browse(`${rig.publicUrl}/oauth/callback?${query}`);
		return { status: answer.status, page: await answer.text() };
	};

	beforeAll(async () => {
		rig = await startConnectRig(backend);
		[provider, eu] = await Promise.all([TestProvider.start(), TestProvider.start()]);
	});
	afterAll(async () => {
		await Promise.all([provider?.stop(), eu?.stop()]);
		await rig?.close();
	});
	beforeEach(async () => {
		for (const each of [provider, eu]) {
			await each.control({
				mode: 'ok',
				expiresIn: 3600,
				rotate: false,
				answerExtra: {},
				omitAccessToken: false,
				codeRefreshToken: true,
			});
			await each.resetStats();
		}
	});

	it('keeps the fields a service names (Salesforce instance_url, id), and each refresh updates them', async () => {
		const service = await addService({ answer_fields: ['instance_url', 'id'] });
		await provider.control({
			expiresIn: null,
			answerExtra: {
				instance_url: 'https://acme-corp.my.salesforce.com',
				id: 'https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P',
				signature: 'not-kept',
				issued_at: '1278448832702',
			},
		});
		expect((await callback(service)).status).toBe(200);
		const fetched = await fetchCredential(service);
		expect(fetched.json().metadata).toEqual({
			instance_url: 'https://acme-corp.my.salesforce.com',
			id: 'https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P',
		});

		await provider.control({
			answerExtra: { instance_url: 'https://acme-corp2.my.salesforce.com' },
		});
		const refreshed = await refreshNow(service);
		expect(refreshed.statusCode).toBe(200);
		expect(refreshed.json().metadata).toMatchObject({
			instance_url: 'https://acme-corp2.my.salesforce.com',
			id: 'https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P',
		});
		expect((await fetchCredential(service)).json().metadata.instance_url).toBe(
			'https://acme-corp2.my.salesforce.com',
		);
	});

	it.each([
		['a JSON array', ['contacts.read', 'files.read']],
		['comma-delimited', 'contacts.read,files.read'],
		['space-delimited', 'contacts.read files.read'],
	])('takes the granted scopes the answer states as %s', async (_form, scope) => {
		const service = await addService({});
		await provider.control({ answerExtra: { scope } });
		expect((await callback(service)).status).toBe(200);
		expect((await fetchCredential(service)).json().scopes).toEqual(['contacts.read', 'files.read']);
	});

	it('takes the requested scopes only when the answer states none', async () => {
		const service = await addService({});
		expect((await callback(service)).status).toBe(200);
		expect((await fetchCredential(service)).json().scopes).toEqual([
			'contacts.read',
			'contacts.write',
		]);
	});

	const slackAnswer = () => ({
		ok: true,
		app_id: 'A0KRD7HC3',
		team: { id: 'T9TK3CUKW', name: 'Acme Softball' },
		authed_user: {
			id: 'U1',
			scope: 'chat:write',
			access_token: 'xoxp-user-token-1',
			token_type: 'user',
		},
	});

	it('stores a Slack user-scope install (no top-level access_token) with the user token', async () => {
		const service = await addService({
			answer_fields: ['team.id', 'team.name', 'app_id', 'authed_user.id'],
			user_token_field: 'authed_user',
		});
		await provider.control({ omitAccessToken: true, answerExtra: slackAnswer() });
		const done = await callback(service);
		expect(done.status, done.page).toBe(200);
		const fetched = (await fetchCredential(service)).json();
		expect(fetched).toMatchObject({
			access_token: 'xoxp-user-token-1',
			token_type: 'user',
			scopes: ['chat:write'],
			metadata: {
				'team.id': 'T9TK3CUKW',
				'team.name': 'Acme Softball',
				app_id: 'A0KRD7HC3',
				'authed_user.id': 'U1',
			},
		});
		expect(JSON.stringify(fetched.metadata)).not.toContain('xoxp');
	});

	it('with a bot and a user token takes the bot token, or the user token when the service says so', async () => {
		const service = await addService({ user_token_field: 'authed_user' });
		await provider.control({ answerExtra: { ...slackAnswer(), token_type: 'bot' } });
		expect((await callback(service)).status).toBe(200);
		const bot = (await fetchCredential(service)).json();
		expect(bot.access_token).toMatch(/^at-/);
		expect(bot.token_type).toBe('bot');
		expect(JSON.stringify(bot)).not.toContain('xoxp');

		const patched = await inject({
			method: 'PATCH',
			url: `/v1/services/${service}`,
			headers: asAdmin,
			payload: { prefer_user_token: true },
		});
		expect(patched.statusCode).toBe(200);
		expect((await callback(service)).status).toBe(200);
		expect((await fetchCredential(service)).json()).toMatchObject({
			access_token: 'xoxp-user-token-1',
			token_type: 'user',
		});
	});

	it.each([0, -30])(
		'an expires_in of %i means expired now: the token is due for refresh',
		async (seconds) => {
			const service = await addService({});
			await provider.control({ expiresIn: seconds });
			const before = Date.now();
			expect((await callback(service)).status).toBe(200);
			const row = (await connectionRow(service))!;
			expect(row.expires_at).not.toBeNull();
			expect(row.expires_at!.getTime()).toBeLessThanOrEqual(Date.now());
			expect(row.expires_at!.getTime()).toBeGreaterThanOrEqual(before - 1000);
			expect(row.next_refresh_at!.getTime()).toBeLessThanOrEqual(Date.now());
		},
	);

	it.each([
		['a token_type with CR/LF', { token_type: 'Bearer\r\nX-Injected: 1' }],
		['a 33-character token_type', { token_type: 'B'.repeat(33) }],
		['a 16 KiB + 1 access token', { access_token: 'a'.repeat(16_385) }],
		['a 16 KiB + 1 refresh token', { refresh_token: 'r'.repeat(16_385) }],
		['an access token with a space', { access_token: 'two words' }],
	])('refuses an answer with %s: nothing stored', async (_what, extra) => {
		const service = await addService({});
		await provider.control({ answerExtra: extra });
		const done = await callback(service);
		expect(done.status).toBe(502);
		expect(done.page).toContain('malformed');
		expect(await connectionRow(service)).toBeUndefined();
	});

	it('a refresh answer with a CR/LF token_type is a failed refresh: the old token stays', async () => {
		const service = await addService({});
		expect((await callback(service)).status).toBe(200);
		const before = (await fetchCredential(service)).json();
		await provider.control({ answerExtra: { token_type: 'Bearer\r\nX-Injected: 1' } });
		const refreshed = await refreshNow(service);
		expect(refreshed.statusCode).toBe(503);
		const after = (await fetchCredential(service)).json();
		expect(after).toMatchObject({ access_token: before.access_token, token_type: 'Bearer' });
	});

	it('refuses answer_fields that name a secret', async () => {
		const created = await inject({
			method: 'POST',
			url: '/v1/services',
			headers: asAdmin,
			payload: {
				name: 'leaky',
				display_name: 'Leaky',
				answer_fields: ['authed_user.access_token'],
			},
		});
		expect(created.statusCode).toBe(400);
		expect(created.json().code).toBe('VALIDATION_FAILED');
		expect(created.json().message).toContain('authed_user.access_token');
	});

	describe('regional accounts servers (Zoho)', () => {
		const zoho = () =>
			addService({
				accounts_servers: [provider.baseUrl, eu.baseUrl],
				callback_params: { location: '[a-z]{2,3}' },
				answer_fields: ['api_domain'],
			});

		it('exchanges the code at the accounts server the callback names, and refreshes there', async () => {
			const service = await zoho();
			await eu.control({ answerExtra: { api_domain: 'https://www.zohoapis.eu' } });
			const done = await callback(service, { location: 'eu', 'accounts-server': eu.baseUrl });
			expect(done.status, done.page).toBe(200);
			expect((await eu.stats()).grants).toEqual({ authorization_code: 1 });
			expect((await provider.stats()).tokenCalls).toBe(0);
			expect((await connectionRow(service))!.accounts_server).toBe(eu.baseUrl);
			expect((await fetchCredential(service)).json().metadata).toEqual({
				location: 'eu',
				'accounts-server': eu.baseUrl,
				api_domain: 'https://www.zohoapis.eu',
			});

			expect((await refreshNow(service)).statusCode).toBe(200);
			expect((await eu.stats()).grants).toEqual({ authorization_code: 1, refresh_token: 1 });
			expect((await provider.stats()).tokenCalls).toBe(0);
		});

		it('a connection whose accounts server the service no longer lists is not refreshed anywhere', async () => {
			const service = await zoho();
			expect((await callback(service, { 'accounts-server': eu.baseUrl })).status).toBe(200);
			const patched = await inject({
				method: 'PATCH',
				url: `/v1/services/${service}`,
				headers: asAdmin,
				payload: { accounts_servers: [provider.baseUrl] },
			});
			expect(patched.statusCode).toBe(200);
			expect((await refreshNow(service)).statusCode).toBe(503);
			expect((await eu.stats()).grants).toEqual({ authorization_code: 1 });
			expect((await provider.stats()).tokenCalls).toBe(0);
		});

		it('accounts_servers must be bare origins', async () => {
			const service = await zoho();
			const patched = await inject({
				method: 'PATCH',
				url: `/v1/services/${service}`,
				headers: asAdmin,
				payload: { accounts_servers: [`${eu.baseUrl}/oauth/v2/token`] },
			});
			expect(patched.statusCode).toBe(400);
			expect(patched.json().message).toContain('must be an origin');
		});

		it.each([
			[
				'an accounts server not in the list',
				{ 'accounts-server': 'https://evil.example' },
				'nothing was connected',
			],
			['a location of another form', { location: 'eu.evil' }, 'nothing was connected'],
			// refused with every other unstorable query value, before the callback runs
			['a NUL location', { location: '\u0000' }, 'This address is not valid'],
		])('refuses %s before any exchange: 400, nothing stored', async (_what, extra, page) => {
			const service = await zoho();
			const done = await callback(service, extra);
			expect(done.status).toBe(400);
			expect(done.page).toContain(page);
			expect(done.page).not.toContain('evil');
			expect((await provider.stats()).tokenCalls).toBe(0);
			expect((await eu.stats()).tokenCalls).toBe(0);
			expect(await connectionRow(service)).toBeUndefined();
		});

		it('QuickBooks realmId: digits only', async () => {
			const service = await addService({ callback_params: { realmId: '[0-9]{1,32}' } });
			expect((await callback(service, { realmId: '12a' })).status).toBe(400);
			expect((await provider.stats()).tokenCalls).toBe(0);
			expect((await callback(service, { realmId: '4620816365178370' })).status).toBe(200);
			expect((await fetchCredential(service)).json().metadata).toEqual({
				realmId: '4620816365178370',
			});
		});
	});

	it('a service that declares no callback parameters keeps none (accounts-server, location, realmId)', async () => {
		const callbackUrl = await approve(await openLink(await createLink(rig, 'acme')));
		callbackUrl.searchParams.set('accounts-server', 'https://evil.example');
		callbackUrl.searchParams.set('location', 'eu');
		callbackUrl.searchParams.set('realmId', '1');
		const answer = await browse(callbackUrl);
		expect(answer.status).toBe(200);
		const fetched = await inject({ url: '/v1/credentials/acme/mock-crm', headers: asInternal });
		expect(fetched.json().metadata).toEqual({});
	});

	it('the catalog carries the kept fields, user token and Zoho data centres', async () => {
		const service = async (name: string) =>
			(await inject({ url: `/v1/services/${name}`, headers: asAdmin })).json();
		expect((await service('salesforce')).answer_fields).toEqual(['instance_url', 'id']);
		expect(await service('slack')).toMatchObject({ user_token_field: 'authed_user' });
		expect((await service('quickbooks')).callback_params).toEqual({ realmId: '[0-9]{1,32}' });
		const zohoRow = await service('zoho');
		expect(zohoRow.answer_fields).toEqual(['api_domain']);
		expect(zohoRow.accounts_servers).toContain('https://accounts.zoho.eu');
		expect(zohoRow.accounts_servers).toHaveLength(9);
	});
});
