import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { SEEDED_SECRETS, seedFuzzData } from './helpers/fuzz-seed.js';
import { routeCatalog } from './helpers/route-catalog.js';
import { asAdmin, asInternal, startTestVault, type TestVault } from './helpers/vault-app.js';

/**
 * No answer may be kept by a browser or proxy cache (RFC 9111 §5.2.2.5): credentials, a token shown
 * once and connect links are in JSON answers, and a cached copy outlives its rotation or revocation.
 */
describe('every answer carries Cache-Control: no-store', () => {
	let vault: TestVault;
	const inject = (options: InjectOptions) => vault.app.inject(options);

	beforeAll(async () => {
		vault = await startTestVault('pglite', {
			RATE_LIMIT_MAX: '100000',
			AUTH_FAILURE_LIMIT: '100000',
			REFRESHER_ENABLED: 'false',
		});
		await seedFuzzData(vault);
	});
	afterAll(async () => vault?.close());

	it('on the answers that carry a secret', async () => {
		const answers = [
			await inject({ url: '/v1/credentials/acme/fuzz-key', headers: asInternal }),
			await inject({
				method: 'POST',
				url: '/v1/credentials/batch',
				headers: asInternal,
				payload: { pairs: [{ client_id: 'acme', service: 'fuzz-key' }] },
			}),
			await inject({
				method: 'POST',
				url: '/v1/tokens',
				headers: asAdmin,
				payload: { name: 'shown once', scope: 'read' },
			}),
			await inject({ url: '/v1/clients/acme/connections/fuzz-key', headers: asAdmin }),
		];
		expect(answers[0]!.body).toContain(SEEDED_SECRETS.apiKey);
		for (const answer of answers) {
			expect(answer.statusCode, answer.body).toBeLessThan(300);
			expect(answer.headers['cache-control'], answer.body).toBe('no-store');
		}
	});

	it('on every route of the catalog, whatever the status, and on unknown paths', async () => {
		const routes = await routeCatalog(vault.app);
		expect(routes.length).toBeGreaterThanOrEqual(23);
		for (const route of routes) {
			const url = route.template
				.replace('{client_id}', 'acme')
				.replace(/\{(service|name)\}/, 'fuzz-key')
				.replace('{id}', randomUUID())
				.replace(/\{[^}]+\}/g, 'x');
			for (const headers of [asAdmin, {}]) {
				const answer = await inject({
					method: route.method as InjectOptions['method'],
					url,
					headers: { ...headers, 'content-type': 'application/json' },
					...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { payload: '{}' } : {}),
				});
				const what = `${route.method} ${url} -> ${answer.statusCode}`;
				// the connect pages' logo and stylesheet: public, versioned, no secret (branding.test.ts)
				const cached = route.template.startsWith('/branding/') && answer.statusCode === 200;
				expect(answer.headers['cache-control'], what).toBe(
					cached ? 'public, max-age=60' : 'no-store',
				);
			}
		}
		for (const url of ['/nowhere', '/health', '/metrics', '/docs/json']) {
			const answer = await inject({ url, headers: asAdmin });
			expect(answer.headers['cache-control'], url).toBe('no-store');
		}
	});
});
