import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditWriter, type AuditRecord } from '../src/domain/audit-writer.js';
import type { AuditEntry } from '../src/storage/audit-store.js';
import {
	auditEntry,
	auditRowsAfter,
	lastAuditId,
	withAppendOffline,
} from './helpers/audit-fixtures.js';
import { backends } from './helpers/databases.js';
import { asAdmin, startTestVault, type TestVault } from './helpers/vault-app.js';

// Each rule of the audit log's group-commit writer (domain/audit-writer.ts), with writers of the
// test's own on one in-process vault: small enough to rerun for every mutant of
// `npm run mutation -- audit-writer`. audit-isolation.test.ts and audit-write-transaction.test.ts
// test the same through requests.

const entry = (fields: Partial<AuditEntry> = {}) =>
	auditEntry({ actor_name: 'audit writer rules', ...fields });

describe.each(backends())('the audit writer on %s', (backend) => {
	let vault: TestVault;
	let tokenId: string;
	const used = { clientId: 'acme', service: 'keys' };
	const other = { clientId: 'globex', service: 'keys' };

	const db = () => vault.database.db;
	const lastId = () => lastAuditId(db());
	const rowsAfter = (id: number) => auditRowsAfter(db(), id);
	const writerWith = (observed: boolean[] = [], seconds: number[] = []) =>
		new AuditWriter(db(), vault.app.keyring, (taken, ok) => {
			observed.push(ok);
			seconds.push(taken);
		});
	const lastUse = async (clientId = 'acme') => ({
		connection: (
			await db().query<{ at: Date | null }>(
				`SELECT last_used_at AS at FROM connections WHERE client_id = $1 AND service = 'keys'`,
				[clientId],
			)
		)[0]!.at,
		token: (
			await db().query<{ at: Date | null }>(
				'SELECT last_used_at AS at FROM api_tokens WHERE id = $1',
				[tokenId],
			)
		)[0]!.at,
	});
	const forgetUse = async () => {
		await db().query('UPDATE connections SET last_used_at = NULL');
		await db().query('UPDATE api_tokens SET last_used_at = NULL');
	};

	beforeAll(async () => {
		vault = await startTestVault(backend, { REFRESHER_ENABLED: 'false' });
		for (const request of [
			{ method: 'POST', url: '/v1/clients', payload: { id: 'acme', name: 'Acme' } },
			{ method: 'POST', url: '/v1/clients', payload: { id: 'globex', name: 'Globex' } },
			{
				method: 'POST',
				url: '/v1/services',
				payload: { name: 'keys', display_name: 'Keys', oauth_type: 'api_key' },
			},
			{ method: 'PUT', url: '/v1/clients/acme/connections/keys', payload: { api_key: 'sk-w' } },
			{ method: 'PUT', url: '/v1/clients/globex/connections/keys', payload: { api_key: 'sk-g' } },
			{ method: 'POST', url: '/v1/tokens', payload: { name: 'reader', scope: 'read' } },
		] as const) {
			const response = await vault.app.inject({ ...request, headers: asAdmin });
			expect(`${request.url} ${response.statusCode}`).toMatch(/ 2\d\d$/);
			if (request.url === '/v1/tokens') tokenId = (response.json() as { id: string }).id;
		}
	});
	afterAll(async () => vault?.close());

	it('writes concurrent records in one statement, in order, each resolved once committed', async () => {
		const observed: boolean[] = [];
		const seconds: number[] = [];
		const writer = writerWith(observed, seconds);
		const since = await lastId();
		const started = performance.now();
		await Promise.all(
			['a', 'b', 'c'].map((name) => writer.record({ entry: entry({ action: `test.${name}` }) })),
		);
		const elapsedSeconds = (performance.now() - started) / 1000;
		expect((await rowsAfter(since)).map((row) => row.action)).toEqual([
			'test.a',
			'test.b',
			'test.c',
		]);
		expect(observed).toEqual([true]);
		// what the writer measured lies within what the test measured around it (seconds)
		expect(seconds[0]).toBeGreaterThanOrEqual(0);
		expect(seconds[0]).toBeLessThanOrEqual(elapsedSeconds);
	});

	it('drains: resolves once every queued row is written', async () => {
		const writer = new AuditWriter(db(), vault.app.keyring);
		const since = await lastId();
		void writer.record({ entry: entry({ action: 'test.queued' }) });
		await writer.drain();
		expect((await rowsAfter(since)).map((row) => row.action)).toEqual(['test.queued']);
	});

	it('fails only the refused row of a batch, with its own error; the others commit', async () => {
		const writer = new AuditWriter(db(), vault.app.keyring);
		const since = await lastId();
		const outcomes = await Promise.allSettled(
			['before', 'poisoned', 'after'].map((name) =>
				writer.record({
					entry: entry({
						request_id: name,
						action: `test.${name}`,
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
		expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: '22003' });
		const rows = await rowsAfter(since);
		expect(rows.map(({ request_id, action }) => [request_id, action])).toEqual([
			['before', 'test.before'],
			['poisoned', 'audit.row_unwritable'],
			['after', 'test.after'],
		]);
	});

	it('records only a SQLSTATE as the refused row’s error class, never another code', async () => {
		const toJson = Object.getOwnPropertyDescriptor(BigInt.prototype, 'toJSON');
		const classes: unknown[] = [];
		try {
			for (const code of [undefined, 12345, 'X22003', '220031', '22P02']) {
				// a value whose serialisation throws an error with this code, as a driver's error might
				Object.defineProperty(BigInt.prototype, 'toJSON', {
					configurable: true,
					value: () => {
						throw Object.assign(new Error('not serialisable'), { code });
					},
				});
				const since = await lastId();
				const refused = await new AuditWriter(db(), vault.app.keyring)
					.record({ entry: entry({ details: { n: 1n } as never }) })
					.catch((error: unknown) => error);
				expect(refused).toMatchObject({ message: 'not serialisable' });
				const [row] = await rowsAfter(since);
				classes.push((row!.details as { sqlstate?: unknown }).sqlstate);
			}
		} finally {
			if (toJson) Object.defineProperty(BigInt.prototype, 'toJSON', toJson);
			else delete (BigInt.prototype as { toJSON?: unknown }).toJSON;
		}
		expect(classes).toEqual([null, null, null, null, '22P02']);
	});

	it('records a refused row as audit.row_unwritable, clipped and without what could be refused', async () => {
		const observed: boolean[] = [];
		const since = await lastId();
		const long = 'x'.repeat(300);
		const poisoned: AuditRecord = {
			entry: entry({
				request_id: long,
				actor_id: long,
				actor_name: long,
				action: `test.${long}`,
				client_id: long,
				service: long,
				ip: long,
				user_agent: 'agent',
				status_code: 2 ** 40,
				workflow_id: 'wf',
				execution_id: 'ex',
				details: { note: 'kept out' },
			}),
		};
		const seconds: number[] = [];
		const timed = writerWith(observed, seconds);
		const started = performance.now();
		const refusal = await timed.record(poisoned).catch((error: unknown) => error);
		const elapsedSeconds = (performance.now() - started) / 1000;
		expect(refusal).toMatchObject({ code: '22003' });
		// tried once alone (its error known), then its minimal row
		expect(observed).toEqual([false, true]);
		for (const taken of seconds) {
			expect(taken).toBeGreaterThanOrEqual(0);
			expect(taken).toBeLessThanOrEqual(elapsedSeconds);
		}
		// and the same without an observer
		const unobserved = new AuditWriter(db(), vault.app.keyring);
		expect(await unobserved.record(poisoned).catch((error: unknown) => error)).toMatchObject({
			code: '22003',
		});
		const [row] = await rowsAfter(since);
		expect(row).toMatchObject({
			action: 'audit.row_unwritable',
			error_code: 'AUDIT_ROW_UNWRITABLE',
			request_id: 'x'.repeat(128),
			actor_id: 'x'.repeat(128),
			actor_name: 'x'.repeat(128),
			client_id: 'x'.repeat(128),
			service: 'x'.repeat(128),
			ip: 'x'.repeat(64),
			status_code: null,
			user_agent: null,
			duration_ms: null,
			workflow_id: null,
			execution_id: null,
			details: { action: `test.${'x'.repeat(123)}`, sqlstate: '22003' },
		});
	});

	it('when every statement fails, a batch stops after one row and its minimal row, each failed', async () => {
		const observed: boolean[] = [];
		const writer = writerWith(observed);
		const outcomes = await withAppendOffline(db(), () =>
			Promise.allSettled(
				['r1', 'r2', 'r3'].map((id) => writer.record({ entry: entry({ request_id: id }) })),
			),
		);
		expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
		// each with the database's own error (no such function)
		for (const outcome of outcomes)
			expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: '42883' });
		expect(observed).toEqual([false, false, false]);
		// and the writer writes again once the database does
		await writer.record({ entry: entry() });
		expect(observed.at(-1)).toBe(true);
	});

	it('marks the connection and the token used, once within the minute, again after a failed write', async () => {
		const writer = writerWith();
		await forgetUse();
		await writer.record({ entry: entry(), usedConnection: used, usedTokenId: tokenId });
		expect(await lastUse()).toEqual({ connection: expect.any(Date), token: expect.any(Date) });
		for (let again = 0; again < 2; again += 1) {
			await forgetUse();
			await writer.record({ entry: entry(), usedConnection: used, usedTokenId: tokenId });
			expect(await lastUse()).toEqual({ connection: null, token: null });
		}
		// another connection is its own: marked, in the same statement as a third
		const third = { clientId: 'acme', service: 'nothing' };
		await Promise.all([
			writer.record({ entry: entry(), usedConnection: other }),
			writer.record({ entry: entry(), usedConnection: third }),
		]);
		expect((await lastUse('globex')).connection).toEqual(expect.any(Date));

		const fresh = writerWith();
		await withAppendOffline(db(), () =>
			fresh.record({ entry: entry(), usedConnection: used, usedTokenId: tokenId }).catch(() => {}),
		);
		await forgetUse();
		await fresh.record({ entry: entry(), usedConnection: used, usedTokenId: tokenId });
		expect(await lastUse()).toEqual({ connection: expect.any(Date), token: expect.any(Date) });
	});

	it('writes a row in the caller’s transaction: kept with it, gone when it rolls back', async () => {
		const writer = writerWith();
		const since = await lastId();
		await forgetUse();
		await db()
			.transaction(async (tx) => {
				await writer.recordInTransaction(tx, { entry: entry({ action: 'test.rolled_back' }) });
				throw new Error('roll back');
			})
			.catch(() => {});
		await db().transaction((tx) =>
			writer.recordInTransaction(tx, {
				entry: entry({ action: 'test.committed' }),
				usedTokenId: tokenId,
			}),
		);
		expect((await rowsAfter(since)).map((row) => row.action)).toEqual(['test.committed']);
		expect((await lastUse()).token).toEqual(expect.any(Date));
	});
});
