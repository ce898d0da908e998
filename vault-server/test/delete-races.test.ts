import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/databases.js';
import { asAdmin, startTestVault, type TestVault } from './helpers/vault-app.js';

const ROUNDS = 10;

/**
 * A delete racing a write of what it deletes is answered as one of them losing (404, 409), never
 * a 500: found by a review with curl on PostgreSQL, where 13 of 40 racing PUTs answered 500.
 */
describe.each(backends())('deletes racing writes on %s', (backend) => {
	let vault: TestVault;
	const inject = (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
		vault.app.inject({ method, url, headers: asAdmin, payload });

	beforeAll(async () => {
		vault = await startTestVault(backend);
	});
	afterAll(async () => vault?.close());

	it('a client deleted while connections to it are stored: each PUT 201, 200 or 404', async () => {
		const statuses = new Set<number>();
		for (let round = 0; round < ROUNDS; round++) {
			const id = `race-${round}`;
			expect((await inject('POST', '/v1/clients', { id, name: id })).statusCode).toBe(201);
			const answers = await Promise.all([
				inject('DELETE', `/v1/clients/${id}`),
				...Array.from({ length: 4 }, () =>
					inject('PUT', `/v1/clients/${id}/connections/openai`, { api_key: 'sk-race' }),
				),
			]);
			for (const answer of answers) statuses.add(answer.statusCode);
		}
		expect([...statuses].filter((status) => ![200, 201, 204, 404].includes(status))).toEqual([]);
	});

	it('a service deleted while a connection to it is stored: DELETE 204 or 409, PUT 201, 200 or 404', async () => {
		expect((await inject('POST', '/v1/clients', { id: 'acme', name: 'Acme' })).statusCode).toBe(
			201,
		);
		const statuses = new Set<number>();
		for (let round = 0; round < ROUNDS; round++) {
			const name = `race-service-${round}`;
			const created = await inject('POST', '/v1/services', {
				name,
				display_name: name,
				oauth_type: 'api_key',
			});
			expect(created.statusCode).toBe(201);
			const answers = await Promise.all([
				inject('PUT', `/v1/clients/acme/connections/${name}`, { api_key: 'sk-race' }),
				inject('DELETE', `/v1/services/${name}`),
			]);
			for (const answer of answers) statuses.add(answer.statusCode);
		}
		expect([...statuses].filter((status) => ![200, 201, 204, 404, 409].includes(status))).toEqual(
			[],
		);
	});
});
