import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/databases.js';
import {
	ADMIN_TOKEN,
	INTERNAL_TOKEN,
	asAdmin,
	startTestVault,
	type TestVault,
} from './helpers/vault-app.js';

interface AuditEntry {
	action: string;
	actor_id: string | null;
	error_code: string | null;
	details: Record<string, unknown> | null;
}

const COOKIE =
	/^otobot_console=([A-Za-z0-9_-]{43}); HttpOnly; SameSite=Strict; Path=\/; Max-Age=(\d+)$/;

describe.each(backends())('console sessions on %s', (backend) => {
	let vault: TestVault;

	const signIn = async (token: string, headers: Record<string, string> = {}) => {
		const answer = await vault.app.inject({
			method: 'POST',
			url: '/v1/sessions',
			headers,
			payload: { token },
		});
		const setCookie = String(answer.headers['set-cookie'] ?? '');
		return { answer, id: COOKIE.exec(setCookie)?.[1], setCookie };
	};
	const withSession = (id: string, csrf?: string) => ({
		cookie: `otobot_console=${id}`,
		...(csrf ? { 'x-csrf-token': csrf } : {}),
	});
	const audit = async (action: string) => {
		const answer = await vault.app.inject({ url: '/v1/audit?limit=1000', headers: asAdmin });
		return (answer.json() as { entries: AuditEntry[] }).entries.filter((e) => e.action === action);
	};

	beforeAll(async () => {
		vault = await startTestVault(backend, {
			CONSOLE_SESSION_IDLE: '8 hours',
			CONSOLE_SESSION_MAX: '24 hours',
		});
	});
	afterAll(async () => vault?.close());

	it('signs in with an admin token: an HttpOnly, SameSite=Strict cookie, the id stored only hashed', async () => {
		const { answer, id, setCookie } = await signIn(ADMIN_TOKEN);
		expect(answer.statusCode).toBe(201);
		expect(setCookie).toMatch(COOKIE);
		expect(setCookie).not.toContain('Secure');
		expect(Number(COOKIE.exec(setCookie)![2])).toBe(24 * 3600);
		const body = answer.json() as { csrf_token: string; actor: { id: string } };
		expect(body.actor.id).toBe('env:ADMIN_API_TOKEN:1');
		expect(body.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(JSON.stringify(body)).not.toContain(id);
		const rows = await vault.database.db.query<Record<string, unknown>>(
			'SELECT * FROM console_sessions',
		);
		const stored = JSON.stringify(rows, (_k, v: unknown) =>
			v instanceof Uint8Array ? Buffer.from(v).toString('base64url') : v,
		);
		expect(stored).not.toContain(id);
		expect(stored).not.toContain(ADMIN_TOKEN);
	});

	it('the cookie stands in for the bearer token on /v1, audited as the admin token with via: console', async () => {
		const { id } = await signIn(ADMIN_TOKEN);
		const listed = await vault.app.inject({ url: '/v1/clients', headers: withSession(id!) });
		expect(listed.statusCode).toBe(200);
		const [row] = (await audit('client.list')).slice(0, 1);
		expect(row).toMatchObject({ actor_id: 'env:ADMIN_API_TOKEN:1', details: { via: 'console' } });
	});

	it('a change by cookie without the CSRF token is refused 403 CSRF_TOKEN_INVALID and changes nothing', async () => {
		const { answer, id } = await signIn(ADMIN_TOKEN);
		const csrf = (answer.json() as { csrf_token: string }).csrf_token;
		const payload = { id: 'csrf-victim', name: 'Victim' };
		for (const headers of [
			withSession(id!),
			withSession(id!, 'wrong-token'),
			withSession(id!, `${csrf}x`),
		]) {
			const refused = await vault.app.inject({
				method: 'POST',
				url: '/v1/clients',
				headers,
				payload,
			});
			expect(refused.statusCode).toBe(403);
			expect(refused.json()).toMatchObject({ code: 'CSRF_TOKEN_INVALID' });
		}
		const missing = await vault.app.inject({ url: '/v1/clients/csrf-victim', headers: asAdmin });
		expect(missing.statusCode).toBe(404);
		const refusals = await audit('client.create');
		expect(refusals[0]).toMatchObject({
			actor_id: 'env:ADMIN_API_TOKEN:1',
			error_code: 'CSRF_TOKEN_INVALID',
		});
		const made = await vault.app.inject({
			method: 'POST',
			url: '/v1/clients',
			headers: withSession(id!, csrf),
			payload,
		});
		expect(made.statusCode).toBe(201);
		expect((await audit('client.create'))[0]).toMatchObject({ details: { via: 'console' } });
	});

	it('a read-scoped token cannot sign in (403), a wrong one gets 401, neither gets a cookie', async () => {
		const read = await signIn(INTERNAL_TOKEN);
		expect(read.answer.statusCode).toBe(403);
		expect(read.answer.json()).toMatchObject({ code: 'FORBIDDEN' });
		expect(read.setCookie).toBe('');
		const wrong = await signIn('not-a-token-at-all-0123456789');
		expect(wrong.answer.statusCode).toBe(401);
		expect(wrong.setCookie).toBe('');
	});

	it('session fixation: each sign-in gets a new id, a planted or unknown id is refused', async () => {
		const planted = 'A'.repeat(43);
		const refused = await vault.app.inject({ url: '/v1/clients', headers: withSession(planted) });
		expect(refused.statusCode).toBe(401);
		const first = await signIn(ADMIN_TOKEN, withSession(planted));
		const second = await signIn(ADMIN_TOKEN, withSession(first.id!));
		expect(first.id).not.toBe(planted);
		expect(second.id).not.toBe(first.id);
		const stillRefused = await vault.app.inject({
			url: '/v1/clients',
			headers: withSession(planted),
		});
		expect(stillRefused.statusCode).toBe(401);
	});

	it('a second otobot_console cookie (a sibling subdomain may set one) does not sign the operator out', async () => {
		const { answer, id } = await signIn(ADMIN_TOKEN);
		const csrf = (answer.json() as { csrf_token: string }).csrf_token;
		const planted = 'B'.repeat(43);
		for (const cookie of [
			`otobot_console=${planted}; otobot_console=${id!}`,
			`otobot_console=${id!}; otobot_console=${planted}`,
			`otobot_console=not a session; other=1; otobot_console=${id!}`,
		]) {
			const listed = await vault.app.inject({ url: '/v1/clients', headers: { cookie } });
			expect(listed.statusCode, cookie).toBe(200);
		}
		const change = await vault.app.inject({
			method: 'POST',
			url: '/v1/clients',
			headers: { cookie: `otobot_console=${planted}; otobot_console=${id!}`, 'x-csrf-token': csrf },
			payload: { id: 'two-cookies', name: 'Two Cookies' },
		});
		expect(change.statusCode).toBe(201);
		const onlyPlanted = await vault.app.inject({
			url: '/v1/clients',
			headers: { cookie: `otobot_console=${planted}; otobot_console=${'C'.repeat(43)}` },
		});
		expect(onlyPlanted.statusCode).toBe(401);
	});

	it('sign-out ends the session and clears the cookie', async () => {
		const { answer, id } = await signIn(ADMIN_TOKEN);
		const csrf = (answer.json() as { csrf_token: string }).csrf_token;
		const out = await vault.app.inject({
			method: 'DELETE',
			url: '/v1/sessions/current',
			headers: withSession(id!, csrf),
		});
		expect(out.statusCode).toBe(204);
		expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
		const after = await vault.app.inject({ url: '/v1/clients', headers: withSession(id!) });
		expect(after.statusCode).toBe(401);
		expect((await audit('console.sign_out'))[0]).toMatchObject({ details: { via: 'console' } });
	});

	it('a session idle past CONSOLE_SESSION_IDLE, or past CONSOLE_SESSION_MAX, is refused', async () => {
		const idle = await signIn(ADMIN_TOKEN);
		const old = await signIn(ADMIN_TOKEN);
		const current = await vault.app.inject({
			url: '/v1/sessions/current',
			headers: withSession(idle.id!),
		});
		expect(current.statusCode).toBe(200);
		const csrf = (old.answer.json() as { csrf_token: string }).csrf_token;
		await vault.database.db.query(
			`UPDATE console_sessions SET last_seen_at = now() - interval '8 hours 1 minute'
			 WHERE csrf_token = $1`,
			[(idle.answer.json() as { csrf_token: string }).csrf_token],
		);
		await vault.database.db.query(
			`UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE csrf_token = $1`,
			[csrf],
		);
		for (const id of [idle.id!, old.id!]) {
			const refused = await vault.app.inject({ url: '/v1/clients', headers: withSession(id) });
			expect(refused.statusCode).toBe(401);
		}
	});

	it('revoking the admin token that signed in ends its sessions', async () => {
		const created = await vault.app.inject({
			method: 'POST',
			url: '/v1/tokens',
			headers: asAdmin,
			payload: { name: 'operator', scope: 'admin' },
		});
		const { id: tokenId, token } = created.json() as { id: string; token: string };
		const { id } = await signIn(token);
		expect(
			(await vault.app.inject({ url: '/v1/clients', headers: withSession(id!) })).statusCode,
		).toBe(200);
		const revoked = await vault.app.inject({
			method: 'DELETE',
			url: `/v1/tokens/${tokenId}`,
			headers: asAdmin,
		});
		expect(revoked.statusCode).toBe(204);
		const after = await vault.app.inject({ url: '/v1/clients', headers: withSession(id!) });
		expect(after.statusCode).toBe(401);
	});

	it('a bearer request has no session; a bearer header wins over a cookie', async () => {
		const current = await vault.app.inject({ url: '/v1/sessions/current', headers: asAdmin });
		expect(current.statusCode).toBe(404);
		expect(current.json()).toMatchObject({ code: 'SESSION_NOT_FOUND' });
		const { id } = await signIn(ADMIN_TOKEN);
		const wrongBearer = await vault.app.inject({
			url: '/v1/clients',
			headers: { ...withSession(id!), authorization: 'Bearer wrong-token-0123456789abcdef' },
		});
		expect(wrongBearer.statusCode).toBe(401);
	});
});

describe('console settings', () => {
	let vault: TestVault | undefined;
	afterAll(async () => vault?.close());

	it('Secure cookie when PUBLIC_URL is https; CONSOLE_ENABLED=false removes the console and its sessions', async () => {
		vault = await startTestVault('pglite', { PUBLIC_URL: 'https://vault.example' });
		const secure = await vault.app.inject({
			method: 'POST',
			url: '/v1/sessions',
			payload: { token: ADMIN_TOKEN },
		});
		const setCookie = String(secure.headers['set-cookie']);
		expect(setCookie).toMatch(/; Secure$/);
		// RFC 6265bis §4.1.3.2: a sibling subdomain cannot set a __Host- cookie (it would need a
		// Domain attribute), so on https no planted cookie can crowd out or stand in for the session
		const [, name, id] = /^([^=]+)=([A-Za-z0-9_-]{43});/.exec(setCookie)!;
		expect(name).toBe('__Host-otobot_console');
		const planted = ['B', 'C', 'D', 'E'].map((c) => `otobot_console=${c.repeat(43)}`);
		const crowded = await vault.app.inject({
			url: '/v1/clients',
			headers: { cookie: `${planted.join('; ')}; ${name}=${id}` },
		});
		expect(crowded.statusCode).toBe(200);
		const plainName = await vault.app.inject({
			url: '/v1/clients',
			headers: { cookie: `otobot_console=${id}` },
		});
		expect(plainName.statusCode).toBe(401);
		const signOut = await vault.app.inject({
			method: 'DELETE',
			url: '/v1/sessions/current',
			headers: { cookie: `${name}=${id}`, 'x-csrf-token': secure.json().csrf_token },
		});
		expect(String(signOut.headers['set-cookie'])).toMatch(/^__Host-otobot_console=;.*Max-Age=0/);
		const page = await vault.app.inject({ url: '/console/' });
		expect(page.statusCode).not.toBe(404);
		await vault.close();
		vault = await startTestVault('pglite', { CONSOLE_ENABLED: 'false' });
		expect((await vault.app.inject({ url: '/console/' })).statusCode).toBe(404);
		const signIn = await vault.app.inject({
			method: 'POST',
			url: '/v1/sessions',
			payload: { token: ADMIN_TOKEN },
		});
		expect(signIn.statusCode).toBe(404);
	});
});
