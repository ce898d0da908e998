import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, startTestVault, type TestVault } from './helpers/vault-app.js';

const SECRET = 's3cret-in-the-query';

/** Each URL the vault stores and shows (GET /v1/services, GET /v1/webhooks), with a query. */
const WRITES: [field: string, request: (url: string, n: number) => InjectOptions][] = [
	[
		'oauth_token_url',
		(url, n) => ({
			method: 'POST',
			url: '/v1/services',
			payload: {
				name: `svc-${n}`,
				display_name: 'Svc',
				oauth_type: 'oauth2',
				oauth_token_url: url,
			},
		}),
	],
	[
		'oauth_authorization_url',
		(url) => ({
			method: 'PATCH',
			url: '/v1/services/crm',
			payload: { oauth_authorization_url: url },
		}),
	],
	[
		'url',
		(url) => ({
			method: 'POST',
			url: '/v1/webhooks',
			payload: { url, events: ['connection.needs_reauth'], secret: '0123456789abcdef0123' },
		}),
	],
];

// RFC 6749 §2.3.1: client credentials "MUST NOT be included in the request URI"; RFC 6750 §2.3
// and RFC 9700 §2.4 keep tokens out of URIs too. A URL the vault stores is shown by the API and
// on the console's pages, so a credential in its query would be shown in clear.
describe('credentials in the query of a URL the vault stores', () => {
	let vault: TestVault;
	let n = 0;
	const send = (request: InjectOptions) => vault.app.inject({ ...request, headers: asAdmin });

	beforeAll(async () => {
		vault = await startTestVault('pglite', { REFRESHER_ENABLED: 'false' });
		const crm = await send({
			method: 'POST',
			url: '/v1/services',
			payload: { name: 'crm', display_name: 'CRM', oauth_type: 'oauth2' },
		});
		expect(crm.statusCode).toBe(201);
	});
	afterAll(async () => vault?.close());

	it.each(['client_secret', 'Client_Secret', 'access_token', 'refresh_token', 'password'])(
		'refuses ?%s=… with a 400 naming the field and the parameter, never the value',
		async (parameter) => {
			for (const [field, request] of WRITES) {
				const to = request(`https://idp.example/x?a=1&${parameter}=${SECRET}`, ++n);
				const answer = await send(to);
				expect(answer.statusCode, `${to.method} ${to.url}`).toBe(400);
				expect(answer.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
				expect(answer.json().message).toMatch(new RegExp(`^${field} must not hold .*${parameter}`));
				expect(answer.body).not.toContain(SECRET);
			}
			const shown = [
				(await send({ method: 'GET', url: '/v1/services' })).body,
				(await send({ method: 'GET', url: '/v1/webhooks' })).body,
			].join('');
			expect(shown).not.toContain(SECRET);
		},
	);

	it('takes other query parameters (a tenant, a version) as given', async () => {
		for (const [, request] of WRITES) {
			const to = request('https://idp.example/x?tenant=acme&api-version=2', ++n);
			const answer = await send(to);
			expect(answer.statusCode, `${to.method} ${to.url}: ${answer.body}`).toBeLessThan(300);
		}
	});
});
