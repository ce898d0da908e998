import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditWriter } from '../src/domain/audit-writer.js';
import {
	auditEntry,
	auditRowsAfter,
	lastAuditId,
	verifyChain,
	withAppendOffline,
} from './helpers/audit-fixtures.js';
import { backends } from './helpers/databases.js';
import { asAdmin, asInternal, startTestVault, type TestVault } from './helpers/vault-app.js';

/** 63 ASCII letters and an emoji: cut at 64 UTF-16 units it leaves half a surrogate pair. */
const SPLIT_PAIR_URL = `/v1/clients/${'a'.repeat(63)}%F0%9F%98%80/connections`;
const ATTACKER = { remoteAddress: '203.0.113.66' };
const FETCHES = 1000;

/**
 * Issue 13 item 1: text a caller chooses can never make PostgreSQL refuse an audit row, and a row
 * it refuses for any other reason fails only its own request, never the rest of the group commit.
 */
describe.each(backends())('audit rows that cannot hurt other callers on %s', (backend) => {
	let vault: TestVault;
	const rowsAfter = (id: number) => auditRowsAfter(vault.database.db, id);
	const lastId = () => lastAuditId(vault.database.db);

	beforeAll(async () => {
		vault = await startTestVault(backend, { RATE_LIMIT_MAX: '1000000' });
		for (const request of [
			{ method: 'POST', url: '/v1/clients', payload: { id: 'acme', name: 'Acme' } },
			{
				method: 'POST',
				url: '/v1/services',
				payload: { name: 'keys', display_name: 'Keys', oauth_type: 'api_key' },
			},
			{ method: 'PUT', url: '/v1/clients/acme/connections/keys', payload: { api_key: 'sk-iso' } },
		] as const) {
			const response = await vault.app.inject({ ...request, headers: asAdmin });
			expect(`${request.url} ${response.statusCode}`).toMatch(/ 2\d\d$/);
		}
	});
	afterAll(async () => vault?.close());

	it('an anonymous request whose client id splits a surrogate pair is refused with 401, not 503', async () => {
		const response = await vault.app.inject({ url: SPLIT_PAIR_URL, ...ATTACKER });
		expect(response.statusCode).toBe(401);
		expect(response.json().code).toBe('UNAUTHORIZED');
	});

	it("a read token's request with that client id is refused 400 with its own row, the id cut at a code point", async () => {
		const since = await lastId();
		const response = await vault.app.inject({ url: SPLIT_PAIR_URL, headers: asInternal });
		expect(response.statusCode).toBe(400);
		expect(await rowsAfter(since)).toMatchObject([
			{
				status_code: 400,
				error_code: 'VALIDATION_FAILED',
				client_id: `${'a'.repeat(63)}\u{1f600}`,
			},
		]);
	});

	it(`${FETCHES} concurrent read fetches all answer 200 while an anonymous caller sends that request at full speed`, async () => {
		let attacking = true;
		const attackerStatuses = new Map<number, number>();
		// the refusals before authentication are aggregated (audit-refusal-rows.test.ts): every other
		// request carries a read token, refused 400 (the id's pattern) with a row of its own
		let sent = 0;
		const attacker = (async () => {
			while (attacking) {
				sent += 1;
				const { statusCode } = await vault.app.inject(
					sent % 2 === 0
						? { url: SPLIT_PAIR_URL, headers: asInternal }
						: { url: SPLIT_PAIR_URL, ...ATTACKER },
				);
				attackerStatuses.set(statusCode, (attackerStatuses.get(statusCode) ?? 0) + 1);
			}
		})();
		// the attacker's first requests are in the group commits before the fetches start
		while (sent < 10) await new Promise((resolve) => setImmediate(resolve));
		const fetches = await Promise.all(
			Array.from({ length: FETCHES }, () =>
				vault.app.inject({ url: '/v1/credentials/acme/keys', headers: asInternal }),
			),
		);
		attacking = false;
		await attacker;
		const statuses = new Map<number, number>();
		for (const { statusCode } of fetches)
			statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
		expect(Object.fromEntries(statuses)).toEqual({ 200: FETCHES });
		expect([...attackerStatuses.keys()].sort()).toEqual([400, 401]);
		expect((await verifyChain(vault.database.db)).ok).toBe(true);
	});

	it('50 client creations and 10 token creations during that attack: every committed write has its audit row', async () => {
		let attacking = true;
		let sent = 0;
		const attacker = (async () => {
			while (attacking) {
				sent += 1;
				await vault.app.inject(
					sent % 2 === 0
						? { url: SPLIT_PAIR_URL, headers: asInternal }
						: { url: SPLIT_PAIR_URL, ...ATTACKER },
				);
			}
		})();
		while (sent < 10) await new Promise((resolve) => setImmediate(resolve));
		const since = await lastId();
		const writes = await Promise.all([
			...Array.from({ length: 50 }, (_, i) =>
				vault.app.inject({
					method: 'POST',
					url: '/v1/clients',
					headers: asAdmin,
					payload: { id: `attacked-${i}`, name: `Attacked ${i}` },
				}),
			),
			...Array.from({ length: 10 }, (_, i) =>
				vault.app.inject({
					method: 'POST',
					url: '/v1/tokens',
					headers: asAdmin,
					payload: { name: `attacked-${i}`, scope: 'read' },
				}),
			),
		]);
		attacking = false;
		await attacker;
		expect(writes.map((answer) => answer.statusCode)).toEqual([
			...Array<number>(50).fill(201),
			...Array<number>(10).fill(201),
		]);
		const { db } = vault.database;
		const clients = await db.query<{ id: string }>(
			"SELECT id FROM clients WHERE id LIKE 'attacked-%'",
		);
		const tokens = await db.query<{ name: string }>(
			"SELECT name FROM api_tokens WHERE name LIKE 'attacked-%'",
		);
		const rows = await rowsAfter(since);
		const created = (action: string) =>
			rows.filter((row) => row.action === action && row.status_code === 201);
		expect(clients).toHaveLength(50);
		expect(tokens).toHaveLength(10);
		expect(created('client.create')).toHaveLength(clients.length);
		expect(created('token.create')).toHaveLength(tokens.length);
		expect((await verifyChain(db)).ok).toBe(true);
	});

	it('lone surrogates and NUL anywhere in an entry are stored as U+FFFD, and the chain verifies', async () => {
		const writer = new AuditWriter(vault.database.db, vault.app.keyring);
		const since = await lastId();
		await writer.record({
			entry: auditEntry({
				client_id: `${'a'.repeat(63)}\ud83d`,
				service: 'x\u0000y',
				user_agent: '\udc00agent',
				details: { 'k\u0000': ['\ud800', { deep: 'nul\u0000' }], n: 1 },
			}),
		});
		const [row] = await rowsAfter(since);
		expect(row).toMatchObject({
			client_id: `${'a'.repeat(63)}\ufffd`,
			service: 'x\ufffdy',
			user_agent: '\ufffdagent',
			details: { 'k\ufffd': ['\ufffd', { deep: 'nul\ufffd' }], n: 1 },
		});
		expect((await verifyChain(vault.database.db)).ok).toBe(true);
	});

	it('a batch with one row the database refuses commits the others and records the refused one as unwritable', async () => {
		const observed: boolean[] = [];
		const writer = new AuditWriter(vault.database.db, vault.app.keyring, (_seconds, ok) =>
			observed.push(ok),
		);
		const since = await lastId();
		// a status code beyond PostgreSQL's integer survives sanitising: the row itself is refused
		const outcomes = await Promise.allSettled(
			['before', 'poisoned', 'after'].map((name) =>
				writer.record({
					entry: auditEntry({
						request_id: name,
						action: `test.${name}`,
						client_id: 'acme',
						status_code: name === 'poisoned' ? 2 ** 40 : 200,
					}),
				}),
			),
		);
		expect(outcomes.map((outcome) => outcome.status)).toEqual([
			'fulfilled',
			'rejected',
			'fulfilled',
		]);
		// one batch refused, then each row on its own: before, poisoned (refused), its minimal row, after
		expect(observed).toEqual([false, true, false, true, true]);
		const rows = await rowsAfter(since);
		expect(rows.map(({ request_id, action }) => [request_id, action])).toEqual([
			['before', 'test.before'],
			['poisoned', 'audit.row_unwritable'],
			['after', 'test.after'],
		]);
		expect(rows[1]).toMatchObject({
			error_code: 'AUDIT_ROW_UNWRITABLE',
			client_id: 'acme',
			details: { action: 'test.poisoned', sqlstate: '22003' },
		});
		expect((await verifyChain(vault.database.db)).ok).toBe(true);
	});

	it('when the database refuses every statement, a batch fails after one row and its minimal row, the rest untried', async () => {
		const observed: boolean[] = [];
		const writer = new AuditWriter(vault.database.db, vault.app.keyring, (_seconds, ok) =>
			observed.push(ok),
		);
		await withAppendOffline(vault.database.db, async () => {
			const outcomes = await Promise.allSettled(
				['r1', 'r2', 'r3', 'r4'].map((id) =>
					writer.record({ entry: auditEntry({ request_id: id }) }),
				),
			);
			expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(4).fill('rejected'));
			// the batch, its first row alone, that row's audit.row_unwritable row: no more
			expect(observed).toEqual([false, false, false]);
		});
	});
});
