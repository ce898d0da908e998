import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode } from '../src/errors.js';
import { startTestVault, type TestVault } from './helpers/vault-app.js';

const VAULT_SERVER = join(dirname(fileURLToPath(import.meta.url)), '..');
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const WITH_BODY = new Set(['put', 'post', 'patch', 'delete']);
const SECRET_FIELDS = /^(access_token|refresh_token|api_key|password|token|oauth_client_secret)$/;

interface Operation {
	method: string;
	path: string;
	spec: Record<string, any>;
}

function operationsOf(doc: any): Operation[] {
	return Object.entries<Record<string, any>>(doc.paths).flatMap(([path, item]) =>
		METHODS.filter((method) => item[method]).map((method) => ({
			method,
			path,
			spec: item[method],
		})),
	);
}

/** Every value of a field named like a secret, anywhere in an example. */
function secretValues(value: unknown, key = ''): string[] {
	if (Array.isArray(value)) return value.flatMap((item) => secretValues(item, key));
	if (value && typeof value === 'object')
		return Object.entries(value).flatMap(([k, v]) => secretValues(v, k));
	return SECRET_FIELDS.test(key) && typeof value === 'string' ? [value] : [];
}

/** Every example of the document: media type `example` and the values of `examples`. */
function examplesIn(node: unknown): unknown[] {
	if (Array.isArray(node)) return node.flatMap(examplesIn);
	if (!node || typeof node !== 'object') return [];
	const own = node as Record<string, any>;
	return [
		...('example' in own ? [own.example] : []),
		...(own.examples && typeof own.examples === 'object'
			? Object.values<any>(own.examples).map((e) => e?.value)
			: []),
		...Object.values(own).flatMap(examplesIn),
	];
}

describe('the OpenAPI document at /docs/json', () => {
	let vault: TestVault;
	let doc: any;
	let operations: Operation[];

	beforeAll(async () => {
		vault = await startTestVault('pglite', { REFRESHER_ENABLED: 'false' });
		doc = (await vault.app.inject({ url: '/docs/json' })).json();
		operations = operationsOf(doc);
	});
	afterAll(async () => vault?.close());

	it('gives every operation an operationId, a summary, a description and a tag', () => {
		expect(operations.length).toBeGreaterThanOrEqual(25);
		for (const { method, path, spec } of operations) {
			const what = `${method.toUpperCase()} ${path}`;
			expect(spec.operationId, what).toMatch(/^[a-z][A-Za-z]+$/);
			expect(spec.summary, what).toEqual(expect.any(String));
			expect(spec.description?.length ?? 0, what).toBeGreaterThan(20);
			expect(spec.tags, what).toHaveLength(1);
		}
		const ids = operations.map((op) => op.spec.operationId);
		expect(new Set(ids).size).toBe(ids.length);
	});

	it('says a body is required except where the route accepts none (compare-and-refresh)', () => {
		const optional = operations
			.filter(({ spec }) => spec.requestBody && spec.requestBody.required === false)
			.map(({ method, path }) => `${method.toUpperCase()} ${path}`);
		expect(optional).toEqual(['POST /v1/credentials/{client_id}/{service}/refresh']);
	});

	it('describes every response, and lists under each error status only codes of that status', () => {
		for (const { method, path, spec } of operations) {
			for (const [status, response] of Object.entries<any>(spec.responses)) {
				const what = `${method.toUpperCase()} ${path} ${status}`;
				expect(response.description, what).not.toBe('Default Response');
				// the health check's 503 is its own answer (database unreachable), not an error body
				if (Number(status) < 400 || `${path} ${status}` === '/health 503') continue;
				const codes: ErrorCode[] =
					response.content?.['application/json']?.schema.properties.code.enum ??
					[...response.description.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]);
				expect(codes.length, what).toBeGreaterThan(0);
				for (const code of codes) {
					expect(ERRORS[code], `${what} ${code}`).toBe(Number(status));
					expect(response.description, what).toContain(`\`${code}\``);
				}
			}
		}
	});

	it('declares the errors every authenticated route gives, and those of a body', () => {
		const codesOf = (spec: any) =>
			Object.values<any>(spec.responses).flatMap(
				(r) => r.content?.['application/json']?.schema.properties?.code?.enum ?? [],
			);
		for (const { method, path, spec } of operations) {
			if (spec.security?.length === 0) continue;
			const what = `${method.toUpperCase()} ${path}`;
			const codes = codesOf(spec);
			for (const code of ['VALIDATION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN', 'RATE_LIMITED'])
				expect(codes, what).toContain(code);
			if (WITH_BODY.has(method))
				for (const code of ['INVALID_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'])
					expect(codes, what).toContain(code);
		}
	});

	it('requires no query field that has a default', () => {
		const fetch = doc.paths['/v1/credentials/{client_id}/{service}'].get;
		expect(fetch.parameters).toContainEqual(
			expect.objectContaining({ name: 'include_refresh_token', in: 'query', required: false }),
		);
		for (const { method, path, spec } of operations) {
			for (const parameter of spec.parameters ?? []) {
				if (parameter.in === 'query' && parameter.schema.default !== undefined)
					expect(parameter.required, `${method} ${path} ${parameter.name}`).toBe(false);
			}
		}
	});

	it('gives every JSON body and 2xx answer an example, and no example a real-looking secret', () => {
		for (const { method, path, spec } of operations) {
			const what = `${method.toUpperCase()} ${path}`;
			const body = spec.requestBody?.content['application/json'];
			if (body) expect(body.example, what).toBeDefined();
			for (const [status, response] of Object.entries<any>(spec.responses)) {
				const json = response.content?.['application/json'];
				if (Number(status) < 300 && json) expect(json.example, `${what} ${status}`).toBeDefined();
			}
		}
		const secrets = examplesIn(doc.paths).flatMap((example) => secretValues(example));
		expect(secrets.length).toBeGreaterThan(3);
		for (const secret of secrets) expect(secret).toMatch(/^(ovt_)?example-/);
	});

	it('passes redocly lint with the repository config', async () => {
		// the layout `npm run lint:openapi` uses, so the same config and ignore file apply
		const directory = mkdtempSync(join(tmpdir(), 'otobot-openapi-'));
		try {
			mkdirSync(join(directory, '.openapi'));
			writeFileSync(join(directory, '.openapi', 'openapi.json'), JSON.stringify(doc));
			for (const file of ['redocly.yaml', '.redocly.lint-ignore.yaml'])
				copyFileSync(join(VAULT_SERVER, file), join(directory, file));
			const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
			const { stdout, stderr } = await promisify(execFile)(
				process.execPath,
				[cli, 'lint', '.openapi/openapi.json', '--format=summary'],
				{ cwd: directory },
			);
			expect(`${stdout}${stderr}`).toContain('Your API description is valid');
		} finally {
			rmSync(directory, { recursive: true, force: true });
		}
	}, 120_000);
});

describe('the API docs page at /docs', () => {
	let vault: TestVault;

	beforeAll(async () => {
		vault = await startTestVault('pglite', { REFRESHER_ENABLED: 'false' });
	});
	afterAll(async () => vault?.close());

	it("has the vault's title and name, not Fastify's logo", async () => {
		const page = await vault.app.inject({ url: '/docs' });
		expect(page.body).toContain('<title>Otobot Vault API</title>');
		// the tab's icon is the vault's, not the plugin's Fastify favicons
		expect(page.body).toContain('theme/favicon.svg');
		expect(page.body).not.toContain('favicon-32x32.png');
		const script = (await vault.app.inject({ url: '/docs/static/swagger-initializer.js' })).body;
		const fastifyLogo = readFileSync(
			createRequire(import.meta.url).resolve('@fastify/swagger-ui/static/logo.svg'),
		).toString('base64');
		expect(script).not.toContain(fastifyLogo);
		const logo = /data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/.exec(script)?.[1];
		expect(Buffer.from(logo ?? '', 'base64').toString()).toContain('Otobot Vault');
	});
});
