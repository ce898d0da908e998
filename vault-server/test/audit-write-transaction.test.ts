import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/domain/audit-chain-verify.js';
import { loadAuditChainKeys } from '../src/domain/audit-chain-keys.js';
import { backends } from './helpers/databases.js';
import {
	asAdmin,
	asInternal,
	startTestVault,
	TEST_MASTER_KEY,
	type TestVault,
} from './helpers/vault-app.js';

/** Makes the audit append fail for the given actions: a trigger the test creates through SQL. */
async function refuseAuditRows(vault: TestVault, actions: string[]) {
	const db = vault.database.db;
	await db.script(`
		CREATE OR REPLACE FUNCTION test_refuse_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'audit row refused by the test'; END $$;
		CREATE TRIGGER test_refuse_audit_row BEFORE INSERT ON audit_log FOR EACH ROW
			WHEN (NEW.action IN (${actions.map((action) => `'${action}'`).join(', ')}))
			EXECUTE FUNCTION test_refuse_audit_row();`);
	return async () => db.script('DROP TRIGGER test_refuse_audit_row ON audit_log');
}

const count = async (vault: TestVault, sql: string, params: unknown[] = []) =>
	(await vault.database.db.query<{ n: number }>(sql, params))[0]!.n;

describe.each(backends())('an admin write and its audit row, one transaction, on %s', (backend) => {
	let vault: TestVault;
	beforeAll(async () => {
		vault = await startTestVault(backend);
		await vault.app.inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'acme', name: 'Acme' },
		});
		await vault.app.inject({
			method: 'POST',
			url: '/v1/services',
			headers: asAdmin,
			payload: { name: 'openai', display_name: 'OpenAI', oauth_type: 'api_key' },
		});
		await vault.app.inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/openai',
			headers: asAdmin,
			payload: { api_key: 'sk-write-tx' },
		});
	});
	afterAll(async () => vault?.close());

	it('answers 503 AUDIT_UNAVAILABLE and keeps nothing when the write’s audit row cannot be written', async () => {
		const allow = await refuseAuditRows(vault, [
			'client.create',
			'token.create',
			'connection.store',
			'service.update',
		]);
		try {
			const answers = await Promise.all([
				...Array.from({ length: 10 }, (_, i) =>
					vault.app.inject({
						method: 'POST',
						url: '/v1/clients',
						headers: asAdmin,
						payload: { id: `lost-${i}`, name: 'Lost' },
					}),
				),
				...Array.from({ length: 5 }, (_, i) =>
					vault.app.inject({
						method: 'POST',
						url: '/v1/tokens',
						headers: asAdmin,
						payload: { name: `lost-token-${i}`, scope: 'read' },
					}),
				),
				vault.app.inject({
					method: 'PUT',
					url: '/v1/clients/acme/connections/openai',
					headers: asAdmin,
					payload: { api_key: 'sk-never-stored' },
				}),
				vault.app.inject({
					method: 'PATCH',
					url: '/v1/services/openai',
					headers: asAdmin,
					payload: { display_name: 'Never renamed' },
				}),
			]);
			for (const answer of answers) {
				expect(answer.statusCode, answer.body).toBe(503);
				expect(answer.json().code).toBe('AUDIT_UNAVAILABLE');
				expect(answer.body).not.toMatch(/ovt_|sk-never-stored/);
			}
			// reads and fetches keep the group commit, and still answer meanwhile
			const fetched = await vault.app.inject({
				url: '/v1/credentials/acme/openai',
				headers: asInternal,
			});
			expect(fetched.statusCode).toBe(200);
			expect(fetched.json().api_key).toBe('sk-write-tx');
		} finally {
			await allow();
		}
		expect(
			await count(vault, `SELECT count(*)::int AS n FROM clients WHERE id LIKE 'lost-%'`),
		).toBe(0);
		expect(
			await count(
				vault,
				`SELECT count(*)::int AS n FROM api_tokens WHERE name LIKE 'lost-token-%'`,
			),
		).toBe(0);
		expect(
			await count(
				vault,
				`SELECT count(*)::int AS n FROM services WHERE display_name = 'Never renamed'`,
			),
		).toBe(0);
		const fetched = await vault.app.inject({
			url: '/v1/credentials/acme/openai',
			headers: asInternal,
		});
		expect(fetched.json().api_key).toBe('sk-write-tx');
	});

	it('commits a write with its row, audits a refused write without keeping it, and the chain verifies', async () => {
		const created = await vault.app.inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'kept', name: 'Kept' },
		});
		expect(created.statusCode).toBe(201);
		const again = await vault.app.inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'kept', name: 'Kept twice' },
		});
		expect(again.statusCode).toBe(409);
		const rows = await vault.database.db.query<{ status_code: number }>(
			`SELECT status_code FROM audit_log WHERE action = 'client.create' AND client_id = 'kept' ORDER BY id`,
		);
		expect(rows.map((row) => row.status_code)).toEqual([201, 409]);
		expect(await count(vault, `SELECT count(*)::int AS n FROM clients WHERE id = 'kept'`)).toBe(1);
		const db = vault.database.db;
		const keys = await loadAuditChainKeys(db, Buffer.from(TEST_MASTER_KEY, 'hex'));
		expect(await verifyAuditChain(db, keys)).toMatchObject({ ok: true });
	});
});
