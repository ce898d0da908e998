import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/storage/database.js';
import { inAttack, verifyChain } from './helpers/audit-fixtures.js';
import { backends, createPostgresDatabase, hasTestPostgres } from './helpers/databases.js';
import { runCli, runsBuiltCli } from './helpers/cli.js';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import {
	asAdmin,
	asInternal,
	bearer,
	startTestVault,
	TEST_MASTER_KEY,
	type TestVault,
} from './helpers/vault-app.js';

/**
 * The chain's verdict after one tampering statement, run in a transaction then rolled back. The
 * append-only triggers are off for it, as a superuser can turn them off (`session_replication_role`).
 */
const verdictAfter = (db: Database, tamper: string, params: unknown[] = []) =>
	inAttack(db, async (tx) => {
		await tx.query(tamper, params);
		return verifyChain(tx);
	});

const countRows = async (vault: TestVault) =>
	(await vault.database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log'))[0]!.n;

describe.each(backends())('audit log on %s', (backend) => {
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
			payload: { api_key: 'sk-audit-secret' },
		});
	});
	afterAll(async () => vault?.close());

	it('writes exactly one row per authenticated /v1 request, failed ones included, and none for /health', async () => {
		const requests = [
			{
				url: '/v1/credentials/acme/openai',
				headers: asInternal,
				status: 200,
				action: 'credential.fetch',
			},
			{
				url: '/v1/credentials/acme/nothing',
				headers: asInternal,
				status: 404,
				action: 'credential.fetch',
			},
			{ url: '/v1/clients', headers: asInternal, status: 403, action: 'client.list' },
			{ url: '/v1/clients/bad!id', headers: asAdmin, status: 400, action: 'client.read' },
			{ url: '/v1/no-such-route', headers: asAdmin, status: 404, action: 'route.not_found' },
		];
		for (const request of requests) {
			const before = await countRows(vault);
			const response = await vault.app.inject({ url: request.url, headers: request.headers });
			expect(response.statusCode).toBe(request.status);
			expect(await countRows(vault)).toBe(before + 1);
			const [row] = await vault.database.db.query<Record<string, unknown>>(
				'SELECT * FROM audit_log ORDER BY id DESC LIMIT 1',
			);
			expect(row).toMatchObject({
				status_code: request.status,
				action: request.action,
				ip: '127.0.0.1',
			});
		}
		const before = await countRows(vault);
		await vault.app.inject({ url: '/health' });
		expect(await countRows(vault)).toBe(before);
		// a refusal before authentication is counted in its address's auth.refusals row of the
		// minute (audit-refusal-rows.test.ts), not given a row of its own
		const refused = await vault.app.inject({
			url: '/v1/credentials/acme/openai',
			headers: bearer('nope'),
		});
		expect(refused.statusCode).toBe(401);
		expect(await countRows(vault)).toBe(before);
	});

	it('records who, what and for which workflow, and is readable by admins', async () => {
		await vault.app.inject({
			url: '/v1/credentials/acme/openai',
			headers: { ...asInternal, 'x-n8n-workflow-id': 'wf-audit', 'x-n8n-execution-id': '991' },
		});
		const response = await vault.app.inject({
			url: '/v1/audit?client_id=acme&service=openai&limit=1',
			headers: asAdmin,
		});
		expect(response.statusCode).toBe(200);
		expect(response.json().entries[0]).toMatchObject({
			action: 'credential.fetch',
			actor_id: 'env:INTERNAL_API_TOKEN:1',
			client_id: 'acme',
			service: 'openai',
			workflow_id: 'wf-audit',
			execution_id: '991',
			status_code: 200,
			hash: expect.stringMatching(/^[0-9a-f]{64}$/),
		});
		expect(response.json().entries[0]).not.toHaveProperty('prev_hash');
		expect((await vault.app.inject({ url: '/v1/audit', headers: asInternal })).statusCode).toBe(
			403,
		);
	});

	it('fails closed: when the row cannot be written the credential is withheld with a 503', async () => {
		await vault.database.db.query('ALTER TABLE audit_log RENAME TO audit_log_offline');
		try {
			const response = await vault.app.inject({
				url: '/v1/credentials/acme/openai',
				headers: asInternal,
			});
			expect(response.statusCode).toBe(503);
			expect(response.json().code).toBe('AUDIT_UNAVAILABLE');
			expect(response.body).not.toContain('sk-audit-secret');
		} finally {
			await vault.database.db.query('ALTER TABLE audit_log_offline RENAME TO audit_log');
		}
		expect(
			(await vault.app.inject({ url: '/v1/credentials/acme/openai', headers: asInternal }))
				.statusCode,
		).toBe(200);
	});

	it('chains rows in order under concurrent requests, and the chain verifies', async () => {
		await Promise.all(
			Array.from({ length: 40 }, () =>
				vault.app.inject({ url: '/v1/credentials/acme/openai', headers: asInternal }),
			),
		);
		const verdict = await verifyChain(vault.database.db);
		expect(verdict.ok).toBe(true);
		expect(verdict.rows).toBe(await countRows(vault));
	});

	it('finds an edited row, a deleted row, a truncated tail and a moved head', async () => {
		const db = vault.database.db;
		const rows = await db.query<{ id: number }>('SELECT id FROM audit_log ORDER BY id');
		expect(rows.length).toBeGreaterThan(10);
		const at = (index: number) => rows.at(index)!.id;
		expect(
			await verdictAfter(db, 'UPDATE audit_log SET status_code = 299 WHERE id = $1', [at(3)]),
		).toMatchObject({ ok: false, problem: { id: at(3), kind: 'edited' } });
		expect(await verdictAfter(db, 'DELETE FROM audit_log WHERE id = $1', [at(5)])).toMatchObject({
			ok: false,
			problem: { id: at(6), kind: 'deleted' },
		});
		// the rows left are a valid chain: only the head, one row further on, can tell
		for (const from of [-1, -3]) {
			const tail = await verdictAfter(db, 'DELETE FROM audit_log WHERE id >= $1', [at(from)]);
			expect(tail).toMatchObject({
				ok: false,
				rows: rows.length + from,
				problem: { id: at(from), kind: 'head_mismatch' },
			});
		}
		expect(
			await verdictAfter(
				db,
				`UPDATE audit_chain_head SET last_hash = sha256(last_hash) WHERE id = 1`,
			),
		).toMatchObject({ ok: false, problem: { id: at(-1) + 1, kind: 'head_mismatch' } });
		expect(await verifyChain(db)).toMatchObject({ ok: true, rows: rows.length });
	});
});

describe.runIf(runsBuiltCli() && hasTestPostgres('the audit verify CLI checks'))(
	'otobot-vault audit verify',
	() => {
		it('exits 0 on an intact log, 1 naming the row after an edit or a tail cut below the exported head', async () => {
			const database = await createPostgresDatabase();
			const vault = await startTestVault('pglite');
			try {
				const env = {
					DATABASE_URL: database.url,
					ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
					VAULT_DATA_DIR: '/tmp',
				};
				expect((await runCli(['migrate'], env)).code).toBe(0);
				// the CLI reads the real database: fill it through a vault app bound to it
				const { buildApp } = await import('../src/app.js');
				const { openVault } = await import('../src/vault.js');
				const db = openPostgresDatabase({ url: database.url, poolSize: 2 });
				const opened = await openVault(vault.config, { db });
				const app = await buildApp({ config: vault.config, db, keyring: opened.keyring });
				for (let i = 0; i < 5; i += 1) await app.inject({ url: '/v1/services', headers: asAdmin });
				await app.close();

				const ok = await runCli(['audit', 'verify'], env);
				expect(ok.code).toBe(0);
				expect(ok.stdout).toContain('Audit log OK: 5 rows');
				const head = await runCli(['audit', 'head'], env);
				expect(head.code).toBe(0);
				expect(head.stdout.trim()).toMatch(/^5:[0-9a-f]{64}$/);
				const exported = head.stdout.trim();
				expect(JSON.parse((await runCli(['audit', 'head', '--json'], env)).stdout)).toEqual({
					id: 5,
					hash: exported.slice(2),
				});
				expect((await runCli(['audit', 'verify', '--expect-head', exported], env)).code).toBe(0);
				expect((await runCli(['audit', 'verify', '--expect-head', '5:abc'], env)).code).toBe(2);
				// review finding 10: a head past the end is a missing tail (exit 1), row 0 a usage error
				const hash = exported.slice(2);
				const beyond = await runCli(['audit', 'verify', '--expect-head', `99999:${hash}`], env);
				expect(beyond.code).toBe(1);
				expect(beyond.stderr).toContain(
					"the exported head 99999 is past the chain's end (row 5): rows after 5 are missing",
				);
				expect(beyond.stderr).not.toContain('row 6');
				const zero = await runCli(['audit', 'verify', '--expect-head', `0:${hash}`], env);
				expect(zero.code).toBe(2);
				expect(zero.stderr).toContain(`argument '0:${hash}' is invalid. It must be ID:HASH`);
				// the tail deleted and the head moved back, triggers off: a valid shorter chain
				await db.transaction(async (tx) => {
					await tx.query('SET LOCAL session_replication_role = replica');
					await tx.query('DELETE FROM audit_log WHERE id > 3');
					await tx.query(
						`UPDATE audit_chain_head SET last_id = 3, last_hash = (SELECT hash FROM audit_log WHERE id = 3)`,
					);
				});
				expect((await runCli(['audit', 'verify'], env)).code).toBe(0);
				const truncated = await runCli(['audit', 'verify', '--expect-head', exported], env);
				expect(truncated.code).toBe(1);
				expect(truncated.stderr).toContain(
					"TAMPERED: the exported head 5 is past the chain's end (row 3): rows after 3 are missing",
				);
				await db.transaction(async (tx) => {
					await tx.query('SET LOCAL session_replication_role = replica');
					await tx.query(`UPDATE audit_log SET actor_name = 'someone else' WHERE id = 3`);
				});
				const tampered = await runCli(['audit', 'verify'], env);
				expect(tampered.code).toBe(1);
				expect(tampered.stderr).toContain('TAMPERED at row 3');
				await db.close();
			} finally {
				await vault.close();
				await database.drop();
			}
		});
	},
);
