import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { backends } from './helpers/databases.js';
import { SEEDED_SECRETS, seedFuzzData, type FuzzTokens } from './helpers/fuzz-seed.js';
import { routeCatalog, type RouteSpec } from './helpers/route-catalog.js';
import { storeSnapshot } from './helpers/store-snapshot.js';
import { INTERNAL_TOKEN, bearer, startTestVault, type TestVault } from './helpers/vault-app.js';

/** The routes a read token may use; every other authenticated route is admin-only. */
const READ_ROUTES = new Set([
	'GET /v1/credentials/{client_id}/{service}',
	'POST /v1/credentials/{client_id}/{service}/refresh',
	'POST /v1/credentials/batch',
	'GET /v1/clients/{client_id}/connections',
	'GET /v1/clients/{client_id}/connections/{service}',
]);
// /branding/: the connect pages' logo and stylesheet, loaded by clients' browsers (no secret)
const PUBLIC = /^\/(health|connect|oauth|docs|branding)\b/;
// the console's sign-in takes its admin token in the body (test/console-sessions.test.ts covers it)
const SIGN_IN = 'POST /v1/sessions';

/** Ways to name client `globex` (or to escape `acme`) that a token limited to `acme` might try. */
const OTHER_CLIENT = [
	'globex',
	'GLOBEX',
	'Globex',
	'globex.',
	'globex%20',
	'globex%2E',
	'%67lobex',
	'%2567lobex',
	'glob%C3%A9x',
	'%C9%A1lobex', // ɡ (U+0261)
	'acme%2F..%2Fglobex',
	'acme%252F..%252Fglobex',
	'acme%00globex',
	'acme/../globex',
	'./globex',
	'acme%2Fglobex',
	'ACME',
	'acme.',
	'acme%20',
	'%D0%B0cme', // Cyrillic а
	'%EF%BD%81cme', // full-width ａ
];

const keyOf = (route: RouteSpec) => `${route.method} ${route.template}`;

function urlOf(route: RouteSpec, clientId = 'acme') {
	return route.template
		.replace('{client_id}', clientId)
		.replace(/\{(service|name)\}/, 'fuzz-key')
		.replace('{id}', randomUUID());
}

const request = (
	route: RouteSpec,
	headers: Record<string, string>,
	clientId?: string,
): InjectOptions => ({
	method: route.method as InjectOptions['method'],
	url: urlOf(route, clientId),
	headers: { ...headers, 'content-type': 'application/json' },
	...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { payload: '{}' } : {}),
});

describe.each(backends())('authentication and scope on every route on %s', (backend) => {
	let vault: TestVault;
	let tokens: FuzzTokens;
	let authenticated: RouteSpec[];

	beforeAll(async () => {
		vault = await startTestVault(backend, {
			RATE_LIMIT_MAX: '100000',
			AUTH_FAILURE_LIMIT: '100000',
			REFRESHER_ENABLED: 'false',
			TOKEN_CACHE_SECONDS: '0',
		});
		tokens = await seedFuzzData(vault);
		authenticated = (await routeCatalog(vault.app)).filter(
			(route) => !PUBLIC.test(route.template) && keyOf(route) !== SIGN_IN,
		);
	});
	afterAll(async () => vault?.close());

	it('covers every authenticated route', () => {
		expect(authenticated.length).toBeGreaterThanOrEqual(23);
		for (const key of READ_ROUTES) expect(authenticated.map(keyOf)).toContain(key);
	});

	it('refuses a missing, malformed, unknown, expired or revoked token with 401 on every route', async () => {
		const before = await storeSnapshot(vault.database.db);
		const refused: Record<string, string>[] = [
			{},
			{ authorization: 'Basic YWRtaW46YWRtaW4=' },
			{ authorization: 'Bearer' },
			{ authorization: `Bearer ${tokens.expired}` },
			{ authorization: `Bearer ${tokens.revoked}` },
			bearer(`ovt_${'A'.repeat(43)}`),
			bearer(INTERNAL_TOKEN.slice(0, -1)),
			bearer(`${INTERNAL_TOKEN} `),
			{ authorization: `Bearer ${INTERNAL_TOKEN}\u0000` },
		];
		for (const route of authenticated) {
			for (const headers of refused) {
				const response = await vault.app.inject(request(route, headers));
				const what = `${keyOf(route)} with ${JSON.stringify(headers)}`;
				expect(response.statusCode, what).toBe(401);
				expect(response.json().code, what).toBe('UNAUTHORIZED');
				expect(response.headers['www-authenticate'], what).toBe('Bearer');
			}
		}
		expect(await storeSnapshot(vault.database.db)).toBe(before);
	});

	it('refuses a read token on every admin route with 403, before looking at the body', async () => {
		const before = await storeSnapshot(vault.database.db);
		for (const route of authenticated.filter((r) => !READ_ROUTES.has(keyOf(r)))) {
			for (const token of [INTERNAL_TOKEN, tokens.limited]) {
				const response = await vault.app.inject(request(route, bearer(token)));
				expect(response.statusCode, keyOf(route)).toBe(403);
				expect(response.json().code, keyOf(route)).toBe('FORBIDDEN');
			}
		}
		expect(await storeSnapshot(vault.database.db)).toBe(before);
	});

	it('lets a token limited to acme read acme, and nothing of globex by any route or spelling', async () => {
		const limited = bearer(tokens.limited);
		const withClient = authenticated.filter((r) => READ_ROUTES.has(keyOf(r)));
		const fetch = withClient.find((r) => r.method === 'GET' && r.template.startsWith('/v1/cred'))!;
		const own = await vault.app.inject(request(fetch, limited));
		expect(own.statusCode).toBe(200);
		expect(own.json().api_key).toBe(`${SEEDED_SECRETS.apiKey}-acme`);

		const before = await storeSnapshot(vault.database.db);
		for (const route of withClient) {
			for (const clientId of OTHER_CLIENT) {
				const response = await vault.app.inject(request(route, limited, clientId));
				const what = `${keyOf(route)} as ${clientId} -> ${response.statusCode}`;
				expect(response.statusCode, what).toBeGreaterThanOrEqual(400);
				expect(response.statusCode, what).toBeLessThan(500);
				expect(response.body, what).not.toContain('globex');
				expect(response.body, what).not.toMatch(/-globex|GLOBEX/);
			}
		}
		expect(await storeSnapshot(vault.database.db)).toBe(before);
	});
});

describe('guessing and probing are rate-limited', () => {
	let vault: TestVault;
	beforeAll(async () => {
		vault = await startTestVault('pglite', { RATE_LIMIT_MAX: '5', AUTH_FAILURE_LIMIT: '3' });
	});
	afterAll(async () => vault?.close());

	it('counts a read token probing admin routes against its budget', async () => {
		const statuses: number[] = [];
		for (let i = 0; i < 7; i += 1) {
			const response = await vault.app.inject({
				method: 'POST',
				url: '/v1/clients',
				headers: { ...bearer(INTERNAL_TOKEN), 'x-forwarded-for': `10.0.0.${i}` },
				payload: { id: `c${i}`, name: 'x' },
			});
			statuses.push(response.statusCode);
		}
		expect(statuses).toEqual([403, 403, 403, 403, 403, 429, 429]);
	});

	it('blocks token guessing per IP, whatever X-Forwarded-For says', async () => {
		const guess = (i: number) =>
			vault.app.inject({
				url: '/v1/clients',
				headers: { ...bearer(`ovt_guess${i}`), 'x-forwarded-for': `192.0.2.${i}` },
				remoteAddress: '10.1.2.3',
			});
		const statuses = [];
		for (let i = 0; i < 5; i += 1) statuses.push((await guess(i)).statusCode);
		expect(statuses).toEqual([401, 401, 401, 429, 429]);
	});
});
