import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import type { FuzzTokens } from './fuzz-seed.js';
import { contentTypes, hostileText } from './hostile-values.js';
import type { RouteSpec } from './route-catalog.js';
import { rawBody, valueFor } from './schema-values.js';
import { ADMIN_TOKEN, INTERNAL_TOKEN } from './vault-app.js';

const KNOWN_IDS = ['acme', 'globex', 'fuzz-key', 'fuzz-login', 'fuzz-oauth', 'google', 'nobody'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

type Auth = 'admin' | 'read' | 'limited' | 'expired' | 'revoked' | 'none' | 'garbage';

// a lone surrogate cannot be sent as UTF-8; the wire carries U+FFFD instead
const wellFormed = (text: string) => text.replace(/\p{Cs}/gu, '\ufffd');

const encoders = {
	component: (text: string) => encodeURIComponent(wellFormed(text)),
	double: (text: string) => encodeURIComponent(encodeURIComponent(wellFormed(text))),
	raw: (text: string) => text,
};

const asText = (value: unknown): string =>
	typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');

/** Requests to one route: its own method mostly, any params, query, body, token and type. */
export function requestFor(route: RouteSpec) {
	const params = Object.fromEntries(
		Object.entries(route.pathParams).map(([name, schema]) => [
			name,
			fc.oneof(fc.constantFrom(...KNOWN_IDS), valueFor(schema).map(asText), hostileText),
		]),
	);
	const queryKeys = [
		...Object.keys(route.query),
		'__proto__',
		'constructor',
		'client_id',
		'limit[]',
		'',
	];
	return fc.record({
		method: fc.oneof(
			{ weight: 6, arbitrary: fc.constant(route.method) },
			{ weight: 1, arbitrary: fc.constantFrom(...METHODS) },
		),
		auth: fc.constantFrom<Auth>(
			'admin',
			'admin',
			'admin',
			'admin',
			'read',
			'limited',
			'limited',
			'expired',
			'revoked',
			'none',
			'garbage',
		),
		params: fc.record(params),
		encoding: fc.constantFrom<keyof typeof encoders>('component', 'component', 'double', 'raw'),
		query: fc.dictionary(
			fc.constantFrom(...queryKeys),
			fc.oneof(...Object.values(route.query).map((s) => valueFor(s).map(asText)), hostileText),
			{ maxKeys: 3 },
		),
		body: rawBody(route.body),
		contentType: contentTypes,
		workflowId: fc.option(
			fc
				.string({ unit: 'binary-ascii', maxLength: 300 })
				.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
			{ freq: 3 },
		),
	});
}

export type FuzzRequest = ReturnType<typeof requestFor> extends fc.Arbitrary<infer T> ? T : never;

/** A generated request as `inject` takes it. */
export function injectOptions(
	route: RouteSpec,
	request: FuzzRequest,
	tokens: FuzzTokens,
): InjectOptions {
	const encode = encoders[request.encoding];
	const path = route.template.replace(/\{(\w+)\}/g, (_m, name: string) =>
		encode(request.params[name] ?? ''),
	);
	const query = Object.entries(request.query)
		.map(([key, value]) => `${encoders.component(key)}=${encode(value)}`)
		.join('&');
	const token = {
		admin: ADMIN_TOKEN,
		read: INTERNAL_TOKEN,
		...tokens,
		garbage: 'ovt_' + 'A'.repeat(43),
	}[request.auth as Exclude<Auth, 'none'>];
	const headers: Record<string, string> = {};
	if (token) headers.authorization = `Bearer ${token}`;
	if (request.contentType !== undefined) headers['content-type'] = request.contentType;
	if (request.workflowId !== null) headers['x-n8n-workflow-id'] = request.workflowId;
	const hasBody = request.body !== undefined && !['GET', 'HEAD'].includes(request.method);
	return {
		method: request.method as InjectOptions['method'],
		url: query ? `${path}?${query}` : path,
		headers,
		...(hasBody ? { payload: request.body } : {}),
	};
}

/** Known path values per parameter, so an odd body reaches a route's handler, not a 404. */
const PATH_VALUES: Record<string, string> = {
	client_id: 'acme',
	service: 'fuzz-key',
	name: 'fuzz-key',
};

/** An admin request to `route` with `body` as JSON, its path parameters filled with seeded ids. */
export function oddBodyOptions(route: RouteSpec, body: unknown): InjectOptions {
	const path = route.template.replace(
		/\{(\w+)\}/g,
		(_m, name: string) => PATH_VALUES[name] ?? 'acme',
	);
	return {
		method: route.method as InjectOptions['method'],
		url: path,
		headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
		payload: JSON.stringify(body),
	};
}
