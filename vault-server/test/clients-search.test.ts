import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/databases.js';
import { asAdmin, startTestVault, type TestVault } from './helpers/vault-app.js';

describe.each(backends())('GET /v1/clients?q= on %s', (backend) => {
	let vault: TestVault;
	const ids = async (query: string) => {
		const answer = await vault.app.inject({ url: `/v1/clients?${query}`, headers: asAdmin });
		expect(answer.statusCode).toBe(200);
		return (answer.json() as { clients: { id: string }[] }).clients.map((client) => client.id);
	};

	beforeAll(async () => {
		vault = await startTestVault(backend);
		for (const [id, name] of [
			['acme', 'Acme'],
			['acme-eu', 'Acme Europe'],
			['globex', 'Globex 100%'],
			['initech', 'Initech (ACME subsidiary)'],
		]) {
			await vault.app.inject({
				method: 'POST',
				url: '/v1/clients',
				headers: asAdmin,
				payload: { id, name },
			});
		}
	});
	afterAll(async () => vault?.close());

	it('keeps the clients whose id or name contains q, ignoring case, in id order', async () => {
		expect(await ids('q=ACM')).toEqual(['acme', 'acme-eu', 'initech']);
		expect(await ids('q=europe')).toEqual(['acme-eu']);
	});

	it('reads % and _ as plain characters, not LIKE wildcards', async () => {
		expect(await ids(`q=${encodeURIComponent('%')}`)).toEqual(['globex']);
		expect(await ids('q=_')).toEqual([]);
	});

	it('pages with after, the same q kept', async () => {
		expect(await ids('q=acme&limit=2')).toEqual(['acme', 'acme-eu']);
		expect(await ids('q=acme&limit=2&after=acme-eu')).toEqual(['initech']);
	});

	it('refuses an empty q (400)', async () => {
		const answer = await vault.app.inject({ url: '/v1/clients?q=', headers: asAdmin });
		expect(answer.statusCode).toBe(400);
	});
});
