import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { backends } from './helpers/databases.js';
import {
	ADMIN_TOKEN,
	asAdmin,
	asInternal,
	expectRequestLines,
	INTERNAL_TOKEN,
	VERBOSE_LOGS,
} from './helpers/vault-app.js';
import {
	APP_SECRET,
	SERVICE,
	approve,
	browse,
	connectThroughBrowser,
	createLink,
	openLink,
	startConnectRig,
	type ConnectRig,
} from './helpers/connect-rig.js';

describe.each(backends())('connect flow refusals on %s', (backend) => {
	let rig: ConnectRig;
	const links: string[] = [];
	const states: string[] = [];
	const inject = (options: InjectOptions) => rig.vault.app.inject(options);
	const accessToken = async (clientId: string) =>
		(await inject({ url: `/v1/credentials/${clientId}/${SERVICE}`, headers: asInternal })).json()
			.access_token;
	const link = async (clientId: string) => {
		const url = await createLink(rig, clientId);
		links.push(url);
		return url;
	};
	const open = async (url: string) => {
		const authorizeUrl = await openLink(url);
		states.push(authorizeUrl.searchParams.get('state')!);
		return authorizeUrl;
	};

	beforeAll(async () => {
		rig = await startConnectRig(backend, VERBOSE_LOGS);
		for (const clientId of ['acme', 'globex']) {
			expect((await connectThroughBrowser(await link(clientId))).callback.status).toBe(200);
		}
	});
	afterAll(async () => rig?.close());

	it('a state completes only the connection of its own link, whatever else the query says', async () => {
		const [acmeBefore, globexBefore] = [await accessToken('acme'), await accessToken('globex')];
		const callbackUrl = await approve(await open(await link('globex')));
		callbackUrl.searchParams.set('client_id', 'acme');
		callbackUrl.searchParams.set('service', 'google');
		const callback = await browse(callbackUrl);
		expect(callback.status).toBe(200);
		expect(await callback.text()).toContain('connected for Globex');
		expect(await accessToken('acme')).toBe(acmeBefore);
		expect(await accessToken('globex')).not.toBe(globexBefore);
	});

	it("a code obtained for one client's link does not complete another client's connection", async () => {
		const [acmeBefore, globexBefore] = [await accessToken('acme'), await accessToken('globex')];
		const acmeCallback = await approve(await open(await link('acme')));
		const globexCallback = await approve(await open(await link('globex')));
		// the attacker's code with the victim's state: the victim's verifier does not match it
		globexCallback.searchParams.set('code', acmeCallback.searchParams.get('code')!);
		const response = await browse(globexCallback);
		expect(response.status).toBe(502);
		expect(await accessToken('acme')).toBe(acmeBefore);
		expect(await accessToken('globex')).toBe(globexBefore);
	});

	it('redirects only to the stored authorization URL and never honours a redirect parameter', async () => {
		const url = await link('acme');
		const evil = 'https://evil.example/steal';
		const authorizeUrl = await open(
			`${url}?redirect_uri=${encodeURIComponent(evil)}&next=${encodeURIComponent(evil)}`,
		);
		expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(rig.provider.authorizeUrl);
		expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(`${rig.publicUrl}/oauth/callback`);
		expect(authorizeUrl.toString()).not.toContain('evil');

		const callbackUrl = await approve(authorizeUrl);
		callbackUrl.searchParams.set('redirect_uri', evil);
		callbackUrl.searchParams.set('next', evil);
		const callback = await browse(callbackUrl);
		expect(callback.status).toBe(200);
		expect(callback.headers.get('location')).toBeNull();
		expect(await callback.text()).not.toContain('evil');

		// a service parameter cannot replace the redirect URI or the state either
		await inject({
			method: 'PATCH',
			url: `/v1/services/${SERVICE}`,
			headers: asAdmin,
			payload: { authorization_params: { redirect_uri: evil, state: 'fixed', prompt: 'consent' } },
		});
		const patched = await open(await link('acme'));
		expect(patched.searchParams.get('redirect_uri')).toBe(`${rig.publicUrl}/oauth/callback`);
		expect(patched.searchParams.get('state')).not.toBe('fixed');
		expect(patched.searchParams.get('prompt')).toBe('consent');
		await inject({
			method: 'PATCH',
			url: `/v1/services/${SERVICE}`,
			headers: asAdmin,
			payload: { authorization_params: {} },
		});
	});

	it('refuses to redirect to a non-http(s) authorization URL written by SQL', async () => {
		const url = await link('acme');
		await rig.vault.database.db.query(
			`UPDATE services SET oauth_authorization_url = 'javascript:alert(1)' WHERE name = $1`,
			[SERVICE],
		);
		try {
			const response = await browse(url);
			expect(response.status).toBe(422);
			expect(response.headers.get('location')).toBeNull();
			expect(await response.text()).not.toContain('javascript:');
		} finally {
			await rig.vault.database.db.query(
				`UPDATE services SET oauth_authorization_url = $2 WHERE name = $1`,
				[SERVICE, rig.provider.authorizeUrl],
			);
		}
	});

	it('creates links for admins only, for connectable services only', async () => {
		const post = (payload: object, headers = asAdmin) =>
			inject({ method: 'POST', url: '/v1/connect-links', headers, payload });
		const cases: [object, number, string][] = [
			[{ client_id: 'nobody', service: SERVICE }, 404, 'CLIENT_NOT_FOUND'],
			[{ client_id: 'acme', service: 'nothing' }, 404, 'SERVICE_NOT_FOUND'],
			[{ client_id: 'acme', service: 'openai' }, 422, 'SERVICE_NOT_CONNECTABLE'],
			[{ client_id: 'acme', service: 'google' }, 422, 'SERVICE_NOT_CONNECTABLE'],
			[
				{ client_id: 'acme', service: SERVICE, expires_in_minutes: 43_201 },
				400,
				'VALIDATION_FAILED',
			],
			[
				{ client_id: 'acme', service: SERVICE, redirect_uri: 'https://evil.example' },
				400,
				'VALIDATION_FAILED',
			],
		];
		for (const [payload, status, code] of cases) {
			const response = await post(payload);
			expect([response.statusCode, response.json().code], JSON.stringify(payload)).toEqual([
				status,
				code,
			]);
		}
		expect((await post({ client_id: 'acme', service: SERVICE }, asInternal)).statusCode).toBe(403);
		const created = await post({ client_id: 'acme', service: SERVICE });
		const days = (new Date(created.json().expires_at).getTime() - Date.now()) / 86_400_000;
		expect(days).toBeGreaterThan(6.99);
		expect(days).toBeLessThan(7.01);
		const short = await post({ client_id: 'acme', service: SERVICE, expires_in_minutes: 30 });
		expect(new Date(short.json().expires_at).getTime() - Date.now()).toBeLessThan(31 * 60_000);
	});

	it('never writes a code, token, verifier, state, link or client secret to the logs or the audit log', async () => {
		const exchanges = rig.provider.tokenRequests;
		const secrets = [
			APP_SECRET,
			ADMIN_TOKEN,
			INTERNAL_TOKEN,
			...rig.provider.issued,
			...rig.provider.authorizations.keys(),
			...exchanges.flatMap((request) => (request.code_verifier ? [request.code_verifier] : [])),
			...states,
			...links.map((url) => new URL(url).pathname.split('/').at(-1)!),
		];
		expect(secrets.length).toBeGreaterThan(20);
		const audit = JSON.stringify(await rig.vault.database.db.query('SELECT * FROM audit_log'));
		const stored = JSON.stringify(
			await rig.vault.database.db.query('SELECT * FROM connect_links, oauth_states'),
		);
		const logs = rig.vault.logs.text();
		expectRequestLines(logs);
		for (const secret of secrets) {
			expect(logs).not.toContain(secret);
			expect(audit).not.toContain(secret);
			expect(stored).not.toContain(secret);
		}
		const actions = await rig.vault.database.db.query<{ action: string; client_id: string | null }>(
			`SELECT DISTINCT action, client_id FROM audit_log WHERE action IN ('connect.open', 'oauth.callback') ORDER BY 1, 2`,
		);
		expect(actions).toEqual(
			expect.arrayContaining([
				{ action: 'connect.open', client_id: 'acme' },
				{ action: 'oauth.callback', client_id: 'globex' },
			]),
		);
	});
});
