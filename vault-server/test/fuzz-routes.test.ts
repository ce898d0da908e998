import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { ERRORS } from '../src/errors.js';
import { backends } from './helpers/databases.js';
import { allSecrets, seedFuzzData, type FuzzTokens } from './helpers/fuzz-seed.js';
import { injectOptions, oddBodyOptions, requestFor } from './helpers/fuzz-requests.js';
import { oddBodyFor } from './helpers/schema-values.js';
import { routeCatalog, type RouteSpec } from './helpers/route-catalog.js';
import { storeSnapshot } from './helpers/store-snapshot.js';
import {
	expectRequestLines,
	startTestVault,
	VERBOSE_LOGS,
	type TestVault,
} from './helpers/vault-app.js';

/**
 * Property-based fuzz of every route of the OpenAPI document. CI runs FUZZ_RUNS (default 25) cases
 * per route with FUZZ_SEED (default fixed); `npm run fuzz` runs many more with a random seed.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED =
	process.env.FUZZ_SEED === 'random'
		? Date.now() % 2 ** 31
		: Number(process.env.FUZZ_SEED ?? 20261127);
const STACK = /\s+at\s+\S+\s+\(|node_modules|\.ts:\d+|\.js:\d+:\d+/;
// the only 5xx a route may give on purpose: a refresh the (unreachable) provider did not answer
const UPSTREAM_FAILURES = new Set(['REFRESH_FAILED']);

/** The route a path reaches, to validate a 2xx against the right schema. */
function routeOf(routes: RouteSpec[], method: string, url: string): RouteSpec | undefined {
	// `inject`, like a browser, resolves dot segments before the router sees the path
	const path = new URL(url, 'http://vault').pathname;
	const candidates = routes
		.filter((r) => r.method === method)
		.filter((r) => new RegExp(`^${r.template.replace(/\{\w+\}/g, '[^/]+')}$`).test(path));
	return candidates.sort(
		(a, b) => Object.keys(a.pathParams).length - Object.keys(b.pathParams).length,
	)[0];
}

describe.each(backends())('fuzz of every route on %s', (backend) => {
	let vault: TestVault;
	let tokens: FuzzTokens;
	let routes: RouteSpec[] = [];
	let secrets: string[];
	let stored: string;

	beforeAll(async () => {
		vault = await startTestVault(backend, {
			...VERBOSE_LOGS,
			RATE_LIMIT_MAX: '1000000',
			AUTH_FAILURE_LIMIT: '1000000',
			REFRESHER_ENABLED: 'false',
			TOKEN_CACHE_SECONDS: '0',
		});
		tokens = await seedFuzzData(vault);
		secrets = allSecrets(tokens);
		routes = await routeCatalog(vault.app);
		stored = await storeSnapshot(vault.database.db);
	});
	afterAll(async () => vault?.close());

	const statuses = new Map<number, number>();

	async function check(options: InjectOptions, response: LightMyRequestResponse) {
		statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
		const what = `${options.method} ${options.url} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
		const isJson = String(response.headers['content-type'] ?? '').startsWith('application/json');
		const body = isJson && response.body ? response.json() : undefined;
		if (response.statusCode >= 500) expect(UPSTREAM_FAILURES.has(body?.code), what).toBe(true);
		expect(response.body, what).not.toMatch(STACK);
		const route = routeOf(
			routes,
			options.method === 'HEAD' ? 'GET' : options.method!,
			options.url as string,
		);
		const mayReveal = response.statusCode < 300 && route?.template.startsWith('/v1/credentials/');
		for (const secret of mayReveal ? [] : secrets)
			expect(response.body, what).not.toContain(secret);
		if (response.statusCode >= 400) {
			if (body !== undefined)
				expect(body, what).toMatchObject({
					statusCode: response.statusCode,
					code: expect.stringMatching(/^[A-Z_]+$/),
				});
			// the document lists every code a route answers. Not the router's answers before any
			// route: NOT_FOUND, and Fastify's own FST_ERR_* for a path it cannot take (a parameter
			// over maxParamLength answers 414 FST_ERR_MAX_PARAM_LENGTH, a code errors.ts lacks)
			if (route && body?.code in ERRORS && body.code !== 'NOT_FOUND')
				expect(route.errorCodes(response.statusCode), `${what}: undeclared code`).toContain(
					body.code,
				);
			expect(
				await storeSnapshot(vault.database.db),
				`${what}: a refused request changed the data`,
			).toBe(stored);
			return;
		}
		if (route && options.method !== 'HEAD' && isJson)
			expect(route.validates(response.statusCode, body), what).toBe(true);
		else if (!route) expect(String(options.url), what).toMatch(/^\/(docs|connect|oauth)/);
		stored = await storeSnapshot(vault.database.db);
	}

	it('enumerates the routes from the OpenAPI document', () => {
		expect(routes.length).toBeGreaterThanOrEqual(25);
		expect(routes.map((r) => `${r.method} ${r.template}`)).toContain(
			'GET /v1/credentials/{client_id}/{service}',
		);
	});

	it(
		`answers every request with a 4xx, or a 2xx by the schema, and changes nothing when it refuses (seed ${SEED}, ${RUNS} runs per route)`,
		async () => {
			for (const route of routes) {
				await fc.assert(
					fc.asyncProperty(requestFor(route), async (request) => {
						const options = injectOptions(route, request, tokens);
						await check(options, await vault.app.inject(options));
					}),
					{ seed: SEED, numRuns: RUNS, endOnFailure: true },
				);
			}
			console.log(`fuzz on ${backend}: ${JSON.stringify(Object.fromEntries(statuses))}`);
			// the fuzz reached the handlers, not only the refusals
			for (const status of [200, 201, 204, 400, 401, 403, 404, 415])
				expect(statuses.get(status) ?? 0, `${status}`).toBeGreaterThan(0);
		},
		Math.max(60_000, RUNS * 4000),
	);

	it(`answers a 4xx to a valid admin body with one odd field, on every route with a body (${RUNS} runs per route)`, async () => {
		let sent = 0;
		for (const route of routes) {
			const odd = oddBodyFor(route.body);
			if (!odd || ['GET', 'HEAD', 'DELETE'].includes(route.method)) continue;
			await fc.assert(
				fc.asyncProperty(odd, async (body) => {
					const options = oddBodyOptions(route, body);
					const response = await vault.app.inject(options);
					sent += 1;
					const what = `${route.method} ${route.template} ${options.payload as string}`;
					expect(Math.floor(response.statusCode / 100), what.slice(0, 400)).toBe(4);
					await check(options, response);
				}),
				{ seed: SEED, numRuns: RUNS, endOnFailure: true },
			);
		}
		expect(sent).toBeGreaterThan(0);
	});

	it('wrote no stack trace of an internal error and no secret to the logs', () => {
		const logs = vault.logs.text();
		expectRequestLines(logs);
		expect(logs).not.toMatch(/"level":50/);
		for (const secret of secrets) expect(logs).not.toContain(secret);
	});
});
