import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainVerdict } from '../src/domain/audit-chain-verify.js';
import { AuditWriter } from '../src/domain/audit-writer.js';
import type { Keyring } from '../src/crypto/keyring.js';
import type { Database } from '../src/storage/database.js';
import {
	auditEntry,
	inAttack,
	openKeyedDatabase,
	rowHash,
	thenRollBack,
	verifyChain,
} from './helpers/audit-fixtures.js';
import { backends, type TestDatabase } from './helpers/databases.js';

const entry = (action: string) =>
	auditEntry({ actor_name: 'audit verify test', action, duration_ms: null });

// what `otobot-vault audit verify` walks (domain/audit-chain-verify.ts), past one page and around
// a retention checkpoint; audit.test.ts and audit-keyed-chain.test.ts cover tampered rows
describe.each(backends())('the audit chain walk on %s', (backend) => {
	let database: TestDatabase;
	let db: Database;
	let keyring: Keyring;

	beforeAll(async () => {
		({ database, db, keyring } = await openKeyedDatabase(backend));
	});
	afterAll(async () => database?.dispose());

	it('two writers, as two vault processes, append in turn: each row once, in one chain', async () => {
		const first = new AuditWriter(db, keyring);
		const second = new AuditWriter(db, keyring);
		const { before } = (
			await db.query<{ before: number }>('SELECT count(*)::int AS before FROM audit_log')
		)[0]!;
		// each append of one finds the head moved by the other since it last wrote
		for (let turn = 0; turn < 4; turn += 1) {
			await first.record({ entry: entry(`first.${turn}`) });
			await second.record({ entry: entry(`second.${turn}`) });
		}
		const actions = await db.query<{ action: string }>(
			'SELECT action FROM audit_log ORDER BY id OFFSET $1',
			[before],
		);
		expect(actions.map((row) => row.action)).toEqual(
			[0, 1, 2, 3].flatMap((turn) => [`first.${turn}`, `second.${turn}`]),
		);
		expect(await verifyChain(db)).toMatchObject({ ok: true, rows: before + 8 });
	});

	it('verifies a log longer than one page of the walk (2,000 rows), up to its head', async () => {
		const writer = new AuditWriter(db, keyring);
		await Promise.all(
			Array.from({ length: 2_100 }, (_, index) => writer.record({ entry: entry(`bulk.${index}`) })),
		);
		const { count, last } = (
			await db.query<{ count: number; last: number }>(
				'SELECT count(*)::int AS count, max(id)::int AS last FROM audit_log',
			)
		)[0]!;
		expect(count).toBeGreaterThan(2_100);
		expect(await verifyChain(db)).toEqual({
			ok: true,
			rows: count,
			headId: last,
			headHash: await rowHash(db, last),
			checkpointId: undefined,
			expectedHeadChecked: undefined,
			unkeyedRows: 0,
		});
	});

	it('a failed verdict says how far the chain was good: the rows and the last good row', async () => {
		const verdict = await inAttack(db, async (tx) => {
			await tx.query('UPDATE audit_log SET actor_name = $1 WHERE id = 10', ['someone else']);
			return verifyChain(tx);
		});
		expect(verdict).toEqual({
			ok: false,
			rows: 9,
			problem: { id: 10, kind: 'edited' },
			headId: 9,
			headHash: await rowHash(db, 9),
			checkpointId: undefined,
			unkeyedRows: 0,
		});
	});

	it('compares an exported head at the retention checkpoint with it; one removed by retention is not checked', async () => {
		const atCheckpoint = { id: 5, hash: await rowHash(db, 5) };
		const verdicts = await thenRollBack(db, async (tx) => {
			await tx.query('SELECT audit_remove_before(6)');
			const results: ChainVerdict[] = [];
			results.push(await verifyChain(tx, atCheckpoint));
			results.push(await verifyChain(tx, { id: 5, hash: randomBytes(32).toString('hex') }));
			results.push(await verifyChain(tx, { id: 3, hash: randomBytes(32).toString('hex') }));
			return results;
		});
		expect(verdicts[0]).toMatchObject({ ok: true, checkpointId: 5, expectedHeadChecked: true });
		expect(verdicts[1]).toMatchObject({
			ok: false,
			problem: { id: 5, kind: 'truncated' },
			checkpointId: 5,
			headId: 5,
			rows: 0,
		});
		expect(verdicts[2]).toMatchObject({ ok: true, checkpointId: 5, expectedHeadChecked: false });
	});
});
