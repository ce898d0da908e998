import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { signIn } from '../src/domain/console-sessions.js';
import { backends } from './helpers/databases.js';
import {
	ADMIN_TOKEN,
	addClients,
	INTERNAL_TOKEN,
	asAdmin,
	bearer,
	startTestVault,
	type TestVault,
} from './helpers/vault-app.js';

// Each rule of bearer authentication (plugins/app/auth.ts) on a few routes of one in-process vault:
// the header's form, why a request was refused (the refusal metric's reason), scopes and
// client-limited tokens, the console cookie and its CSRF token, the failure guard. Small enough
// to rerun for every mutant of `npm run mutation -- auth`; auth-every-route.test.ts runs the
// refusals on every route.

const FAILURE_LIMIT = 3;
const REFUSALS = /^otobot_vault_auth_refusals_total\{reason="(\w+)"\} (\d+)$/gm;

describe.each(backends())('authentication rules on %s', (backend) => {
	let vault: TestVault;
	let limited: string;
	let address = 0;

	/** A request from an address of its own, so that the failure guard counts only that test's. */
	const inject = (options: InjectOptions) =>
		vault.app.inject({ remoteAddress: `10.9.0.${(address += 1)}`, ...options });

	const refusals = async (): Promise<Record<string, number>> => {
		const text = (await vault.app.inject({ url: '/metrics', headers: asAdmin })).body;
		return Object.fromEntries([...text.matchAll(REFUSALS)].map((m) => [m[1], Number(m[2])]));
	};

	/** The answer to `options` and the reason the refusal metric counted it under, if any. */
	const refusedAs = async (options: InjectOptions) => {
		const before = await refusals();
		const answer = await inject(options);
		const after = await refusals();
		const reasons = Object.keys(after).filter((key) => after[key] !== (before[key] ?? 0));
		return { answer, reasons };
	};

	const signIn = async () => {
		const answer = await inject({
			method: 'POST',
			url: '/v1/sessions',
			payload: { token: ADMIN_TOKEN },
		});
		const id = /otobot_console=([\w-]+)/.exec(String(answer.headers['set-cookie']))![1]!;
		return {
			cookie: `otobot_console=${id}`,
			csrf: (answer.json() as { csrf_token: string }).csrf_token,
		};
	};

	beforeAll(async () => {
		vault = await startTestVault(backend, {
			AUTH_FAILURE_LIMIT: String(FAILURE_LIMIT),
			REFRESHER_ENABLED: 'false',
			TOKEN_CACHE_SECONDS: '0',
		});
		await addClients(vault, ['acme', 'globex']);
		const created = await vault.app.inject({
			method: 'POST',
			url: '/v1/tokens',
			headers: asAdmin,
			payload: { name: 'acme only', scope: 'read', clients: ['acme'] },
		});
		limited = (created.json() as { token: string }).token;
	});
	afterAll(async () => vault?.close());

	it('needs no token on a route without a scope', async () => {
		expect((await inject({ url: '/health' })).statusCode).toBe(200);
	});

	it('refuses no token, or a header that is not one bearer token, with 401 as no_token', async () => {
		for (const authorization of [
			undefined,
			'Basic YWRtaW46YWRtaW4=',
			'Bearer',
			`Bearer ${ADMIN_TOKEN} `,
			`x Bearer ${ADMIN_TOKEN}`,
			`Bearer ${ADMIN_TOKEN}\u0000`,
			`Bearer ${'a'.repeat(513)}`,
		]) {
			const headers = authorization === undefined ? {} : { authorization };
			const { answer, reasons } = await refusedAs({ url: '/v1/clients', headers });
			const what = JSON.stringify(authorization);
			expect(answer.statusCode, what).toBe(401);
			expect(answer.json(), what).toMatchObject({
				code: 'UNAUTHORIZED',
				message: 'A valid bearer token is required',
			});
			expect(answer.headers['www-authenticate'], what).toBe('Bearer');
			expect(reasons, what).toEqual(['no_token']);
		}
	});

	it('refuses a well-formed unknown token, up to 512 characters, or an unknown cookie as invalid_token', async () => {
		for (const headers of [
			bearer('a'.repeat(512)),
			bearer(`${INTERNAL_TOKEN}x`),
			{ cookie: 'otobot_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
		]) {
			const { answer, reasons } = await refusedAs({ url: '/v1/clients', headers });
			expect(answer.statusCode, JSON.stringify(headers)).toBe(401);
			expect(reasons, JSON.stringify(headers)).toEqual(['invalid_token']);
		}
	});

	it('takes the scheme in any case', async () => {
		const answer = await inject({
			url: '/v1/clients',
			headers: { authorization: `bearer ${ADMIN_TOKEN}` },
		});
		expect(answer.statusCode).toBe(200);
	});

	it('refuses a read token on an admin route with 403, and lets an admin token use a read route', async () => {
		const refused = await inject({ url: '/v1/clients', headers: bearer(INTERNAL_TOKEN) });
		expect(refused.statusCode).toBe(403);
		expect(refused.json()).toMatchObject({
			code: 'FORBIDDEN',
			message: 'This route needs an admin token',
		});
		const read = await inject({ url: '/v1/clients/acme/connections', headers: asAdmin });
		expect(read.statusCode).toBe(200);
		const internal = await inject({
			url: '/v1/clients/globex/connections',
			headers: bearer(INTERNAL_TOKEN),
		});
		expect(internal.statusCode).toBe(200);
	});

	it('lets a client-limited token use its client and routes without one, and no other client', async () => {
		const own = await inject({ url: '/v1/clients/acme/connections', headers: bearer(limited) });
		expect(own.statusCode).toBe(200);
		const other = await inject({
			url: '/v1/clients/globex/connections',
			headers: bearer(limited),
		});
		expect(other.statusCode).toBe(403);
		expect(other.json()).toMatchObject({
			code: 'FORBIDDEN',
			message: 'This token is not allowed to use this client',
		});
		const batch = await inject({
			method: 'POST',
			url: '/v1/credentials/batch',
			headers: bearer(limited),
			payload: { pairs: [{ client_id: 'acme', service: 'openai' }] },
		});
		expect(batch.statusCode).toBe(200);
	});

	it('takes the console cookie for a bearer token: reads without, changes only with its CSRF token', async () => {
		const { cookie, csrf } = await signIn();
		expect((await inject({ url: '/v1/clients', headers: { cookie } })).statusCode).toBe(200);
		expect(
			(await inject({ method: 'HEAD', url: '/v1/clients', headers: { cookie } })).statusCode,
		).toBe(200);
		const current = await inject({ url: '/v1/sessions/current', headers: { cookie } });
		expect(current.statusCode).toBe(200);
		const change = (headers: Record<string, string>) =>
			inject({
				method: 'POST',
				url: '/v1/clients',
				headers: { cookie, ...headers },
				payload: { id: `via-console-${address}`, name: 'via console' },
			});
		const refused = await change({});
		expect(refused.statusCode).toBe(403);
		expect(refused.json()).toMatchObject({
			code: 'CSRF_TOKEN_INVALID',
			message: 'A change made with the console session needs its x-csrf-token header',
		});
		expect((await change({ 'x-csrf-token': csrf })).statusCode).toBe(201);
		// the refused change is audited under the session's admin token
		const audit = await vault.app.inject({ url: '/v1/audit?limit=20', headers: asAdmin });
		const rows = (audit.json() as { entries: { error_code: string | null; actor_id: string }[] })
			.entries;
		expect(rows.find((row) => row.error_code === 'CSRF_TOKEN_INVALID')).toMatchObject({
			actor_id: 'env:ADMIN_API_TOKEN:1',
		});
		// an Authorization header that is not a bearer token is not replaced by the cookie
		const both = await inject({
			url: '/v1/clients',
			headers: { cookie, authorization: 'Basic YWRtaW46YWRtaW4=' },
		});
		expect(both.statusCode).toBe(401);
	});

	it('refuses a wrong token at sign-in with 401', async () => {
		const answer = await inject({
			method: 'POST',
			url: '/v1/sessions',
			payload: { token: `${ADMIN_TOKEN}x` },
		});
		expect(answer.statusCode).toBe(401);
		expect(answer.json()).toMatchObject({ code: 'UNAUTHORIZED' });
	});

	it('answers 429 with Retry-After past the failure limit of an address, and still takes a valid token', async () => {
		const from = { remoteAddress: '10.8.0.1' };
		const statuses: number[] = [];
		for (let i = 0; i <= FAILURE_LIMIT; i += 1) {
			const { answer, reasons } = await refusedAs({
				url: '/v1/clients',
				headers: bearer(`ovt_guess${i}`),
				...from,
			});
			statuses.push(answer.statusCode);
			if (i < FAILURE_LIMIT) continue;
			expect(reasons).toEqual(['auth_blocked']);
			expect(answer.json()).toMatchObject({
				code: 'RATE_LIMITED',
				message: 'Too many failed authentications from this address',
			});
			const retryAfter = Number(answer.headers['retry-after']);
			expect(Number.isInteger(retryAfter)).toBe(true);
			expect(retryAfter).toBeGreaterThan(0);
			expect(retryAfter).toBeLessThanOrEqual(60);
		}
		expect(statuses).toEqual([401, 401, 401, 429]);
		const valid = await vault.app.inject({ url: '/v1/clients', headers: asAdmin, ...from });
		expect(valid.statusCode).toBe(200);
	});
});

describe.each(backends())('authentication without the console on %s', (backend) => {
	let vault: TestVault;
	beforeAll(async () => {
		vault = await startTestVault(backend, { CONSOLE_ENABLED: 'false', REFRESHER_ENABLED: 'false' });
	});
	afterAll(async () => vault?.close());

	it('takes no session cookie, even one of a session in the database', async () => {
		const lifetimes = { idleMs: 3_600_000, maxMs: 3_600_000 };
		const session = await signIn(vault.database.db, vault.app.tokens, ADMIN_TOKEN, lifetimes);
		const answer = await vault.app.inject({
			url: '/v1/clients',
			headers: { cookie: `otobot_console=${session!.id}` },
		});
		expect(answer.statusCode).toBe(401);
		expect(answer.json()).toMatchObject({ code: 'UNAUTHORIZED' });
	});
});
