import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacAuditRow } from '../src/crypto/audit-chain-key.js';
import type { Keyring } from '../src/crypto/keyring.js';
import { auditContent, hashAuditRow } from '../src/domain/audit-chain.js';
import { AuditChainAppender } from '../src/domain/audit-chain-appender.js';
import { loadAuditChainKeys } from '../src/domain/audit-chain-keys.js';
import { rotateDataKey } from '../src/domain/key-rotation.js';
import { auditStore } from '../src/storage/audit-store.js';
import type { Database, Queryable } from '../src/storage/database.js';
import {
	MASTER_KEY,
	auditEntry,
	inAttack,
	openKeyedDatabase,
	rowHash,
	verifyChain,
} from './helpers/audit-fixtures.js';
import { backends, type TestDatabase } from './helpers/databases.js';

// Each verdict of the audit chain's verifier and each path of its appender, on a small log written
// in-process (no HTTP): fast enough to rerun for every mutant of `npm run mutation -- audit-chain`.
// audit.test.ts, audit-keyed-chain.test.ts and audit-verify.test.ts test the same through the vault.

const NO_MARKS = { connections: [], tokens: [] };

/** The chained content of a row with `action`, the same for the same action (a fixed time). */
const content = (action: string) =>
	auditContent(
		auditEntry({
			occurred_at: '2026-01-02T03:04:05.000Z',
			actor_name: 'audit chain verdicts',
			action,
			duration_ms: null,
		}),
	);

describe.each(backends())('audit chain verdicts on %s', (backend) => {
	let database: TestDatabase;
	let db: Database;
	let keyring: Keyring;
	// rows 1..6 of the log, appended in beforeAll
	const ROWS = 6;

	beforeAll(async () => {
		({ database, db, keyring } = await openKeyedDatabase(backend));
		const appender = new AuditChainAppender(keyring);
		const contents = Array.from({ length: ROWS }, (_, index) => content(`row.${index + 1}`));
		expect(await appender.append(db, contents, NO_MARKS)).toBe(ROWS);
	});
	afterAll(async () => database?.dispose());

	it('an intact log verifies to its head, and against an exported head at or before it', async () => {
		const head = { id: ROWS, hash: await rowHash(db, ROWS) };
		const intact = {
			ok: true,
			rows: ROWS,
			headId: ROWS,
			headHash: head.hash,
			checkpointId: undefined,
			unkeyedRows: 0,
		};
		expect(await verifyChain(db)).toEqual({ ...intact, expectedHeadChecked: undefined });
		expect(await verifyChain(db, head)).toEqual({ ...intact, expectedHeadChecked: true });
		const third = { id: 3, hash: await rowHash(db, 3) };
		expect(await verifyChain(db, third)).toEqual({ ...intact, expectedHeadChecked: true });
	});

	it('an edited row, or one hashed under a key version the vault never had, is edited', async () => {
		const good = { rows: 3, headId: 3, headHash: await rowHash(db, 3), checkpointId: undefined };
		const edited = await inAttack(db, async (tx) => {
			await tx.query(`UPDATE audit_log SET actor_name = 'someone else' WHERE id = 4`);
			return verifyChain(tx);
		});
		expect(edited).toEqual({
			ok: false,
			problem: { id: 4, kind: 'edited' },
			unkeyedRows: 0,
			...good,
		});
		const unknownKey = await inAttack(db, async (tx) => {
			await tx.query('UPDATE audit_log SET chain_key_version = 99 WHERE id = 4');
			return verifyChain(tx);
		});
		expect(unknownKey).toMatchObject({ ok: false, problem: { id: 4, kind: 'edited' }, ...good });
	});

	it('a row removed from the middle, or a row linked to another hash, is deleted', async () => {
		const gap = await inAttack(db, async (tx) => {
			await tx.query('DELETE FROM audit_log WHERE id = 4');
			return verifyChain(tx);
		});
		expect(gap).toMatchObject({ ok: false, problem: { id: 5, kind: 'deleted' }, rows: 3 });
		const relinked = await inAttack(db, async (tx) => {
			await tx.query('UPDATE audit_log SET prev_hash = sha256(prev_hash) WHERE id = 4');
			return verifyChain(tx);
		});
		expect(relinked).toMatchObject({ ok: false, problem: { id: 4, kind: 'deleted' }, rows: 3 });
		// linked to the right hash, under another id: a row is missing before it (its HMAC binds the
		// id too, but the first finding is the gap)
		const renumbered = await inAttack(db, async (tx) => {
			await tx.query(`UPDATE audit_log SET id = id + 10 WHERE id = ${ROWS}`);
			return verifyChain(tx);
		});
		expect(renumbered).toMatchObject({
			ok: false,
			problem: { id: ROWS + 10, kind: 'deleted' },
			rows: ROWS - 1,
		});
	});

	it('a head that is not the last row, or no head at all, is a head mismatch past the last row', async () => {
		const mismatch = {
			ok: false,
			problem: { id: ROWS + 1, kind: 'head_mismatch' },
			rows: ROWS,
			headId: ROWS,
		};
		for (const change of [
			'UPDATE audit_chain_head SET last_id = last_id - 1',
			'UPDATE audit_chain_head SET last_id = last_id + 1',
			'UPDATE audit_chain_head SET last_hash = sha256(last_hash)',
			'DELETE FROM audit_chain_head',
		]) {
			const verdict = await inAttack(db, async (tx) => {
				await tx.query(change);
				return verifyChain(tx);
			});
			expect(verdict, change).toMatchObject(mismatch);
		}
	});

	it('an exported head that differs from its row is truncated there; one past the end is beyond_end', async () => {
		const wrong = randomBytes(32).toString('hex');
		expect(await verifyChain(db, { id: 3, hash: wrong })).toEqual({
			ok: false,
			problem: { id: 3, kind: 'truncated' },
			rows: 2,
			headId: 2,
			headHash: await rowHash(db, 2),
			checkpointId: undefined,
			unkeyedRows: 0,
		});
		const beyond = await verifyChain(db, { id: ROWS + 2, hash: wrong });
		expect(beyond).toMatchObject({
			ok: false,
			problem: { id: ROWS + 1, kind: 'beyond_end' },
			rows: ROWS,
		});
	});

	it('walks from the retention checkpoint, and compares an exported head only at it', async () => {
		const atCheckpoint = { id: 3, hash: await rowHash(db, 3) };
		const verdicts = await inAttack(db, async (tx) => {
			await tx.query('SET LOCAL session_replication_role = origin');
			await tx.query('SELECT audit_remove_before(4)');
			return [
				await verifyChain(tx),
				await verifyChain(tx, atCheckpoint),
				await verifyChain(tx, { id: 3, hash: randomBytes(32).toString('hex') }),
				await verifyChain(tx, { id: 2, hash: randomBytes(32).toString('hex') }),
				// the checkpoint's hash under an earlier id is still an earlier head, not the checkpoint
				await verifyChain(tx, { id: 2, hash: atCheckpoint.hash }),
			];
		});
		const after = { ok: true, rows: ROWS - 3, headId: ROWS, checkpointId: 3, unkeyedRows: 0 };
		expect(verdicts[0]).toEqual({
			...after,
			headHash: await rowHash(db, ROWS),
			expectedHeadChecked: undefined,
		});
		expect(verdicts[1]).toMatchObject({ ...after, expectedHeadChecked: true });
		expect(verdicts[2]).toEqual({
			ok: false,
			problem: { id: 3, kind: 'truncated' },
			rows: 0,
			headId: 3,
			headHash: atCheckpoint.hash,
			checkpointId: 3,
			unkeyedRows: 0,
		});
		expect(verdicts[3]).toMatchObject({ ...after, expectedHeadChecked: false });
		expect(verdicts[4]).toMatchObject({ ...after, expectedHeadChecked: false });
	});

	it('counts SHA-256 rows before keyed_from, and calls one at or after it unkeyed', async () => {
		// the log as migration 0008 leaves it: rows 1-3 with the unkeyed SHA-256, keyed from row 4
		const { version, key } = keyring.auditChainKey();
		const rechain = async (tx: Queryable, keyedFrom: number) => {
			let prev = '';
			for (const row of await auditStore(tx).page(0, 100)) {
				const unkeyed = row.id < 4;
				const hash = unkeyed
					? hashAuditRow(prev, row)
					: hmacAuditRow(key, version, prev, row.id, auditContent(row));
				await tx.query(
					`UPDATE audit_log SET prev_hash = decode($2, 'hex'), hash = decode($3, 'hex'),
					 chain_key_version = $4 WHERE id = $1`,
					[row.id, prev, hash, unkeyed ? null : version],
				);
				prev = hash;
			}
			await tx.query(`UPDATE audit_chain_head SET last_hash = decode($1, 'hex'), keyed_from = $2`, [
				prev,
				keyedFrom,
			]);
		};
		const before = await inAttack(db, async (tx) => {
			await rechain(tx, 4);
			return verifyChain(tx);
		});
		expect(before).toMatchObject({ ok: true, rows: ROWS, unkeyedRows: 3 });
		const downgraded = await inAttack(db, async (tx) => {
			await rechain(tx, 3);
			return verifyChain(tx);
		});
		expect(downgraded).toMatchObject({
			ok: false,
			problem: { id: 3, kind: 'unkeyed' },
			rows: 2,
			unkeyedRows: 2,
		});
	});

	it('two appenders, as two processes, chain from the head the other moved; each returns its last id', async () => {
		const first = new AuditChainAppender(keyring);
		const second = new AuditChainAppender(keyring);
		const start = (await auditStore(db).readHead())!.last_id;
		expect(await first.append(db, [content('a.1'), content('a.2')], NO_MARKS)).toBe(start + 2);
		expect(await second.append(db, [content('b.1')], NO_MARKS)).toBe(start + 3);
		expect(await first.append(db, [content('a.3'), content('a.4')], NO_MARKS)).toBe(start + 5);
		const actions = (await auditStore(db).page(start, 10)).map((row) => row.action);
		expect(actions).toEqual(['a.1', 'a.2', 'b.1', 'a.3', 'a.4']);
		expect(await verifyChain(db)).toMatchObject({ ok: true, rows: start + 5 });
	});

	it('chains again from the real head after an append of its own was rolled back', async () => {
		const appender = new AuditChainAppender(keyring);
		const start = (await auditStore(db).readHead())!.last_id;
		await inAttack(db, (tx) => appender.append(tx, [content('lost')], NO_MARKS));
		expect(await appender.append(db, [content('kept')], NO_MARKS)).toBe(start + 1);
		appender.forgetHead();
		expect(await appender.append(db, [content('kept.2')], NO_MARKS)).toBe(start + 2);
		const actions = (await auditStore(db).page(start, 10)).map((row) => row.action);
		expect(actions).toEqual(['kept', 'kept.2']);
	});

	it('gives up after 50 attempts when the head moves before each, and refuses a log without a head', async () => {
		const appender = new AuditChainAppender(keyring);
		const other = new AuditChainAppender(keyring);
		let attempts = 0;
		// every append statement of `appender` finds a row appended by `other` just before it
		const busy: Queryable = {
			query: async (sql, params) => {
				if (sql.includes('audit_append_keyed') && params?.[3] !== undefined) {
					if ((params[3] as string[])[0] === content('never')) {
						attempts += 1;
						await other.append(db, [content('other')], NO_MARKS);
					}
				}
				return db.query(sql, params);
			},
		} as Queryable;
		await expect(appender.append(busy, [content('never')], NO_MARKS)).rejects.toThrow(
			'the audit chain head kept moving; the rows were not written',
		);
		expect(attempts).toBe(50);
		await expect(
			inAttack(db, async (tx) => {
				await tx.query('DELETE FROM audit_chain_head');
				return new AuditChainAppender(keyring).append(tx, [content('x')], NO_MARKS);
			}),
		).rejects.toThrow('audit_chain_head is missing');
	});

	it('verifies a log longer than a page of the walk (2,000 rows) to its head', async () => {
		const appender = new AuditChainAppender(keyring);
		const contents = Array.from({ length: 2_001 }, (_, index) => content(`bulk.${index}`));
		const last = await appender.append(db, contents, NO_MARKS);
		expect(await verifyChain(db)).toMatchObject({ ok: true, rows: last, headId: last });
	});

	it('loads the chain key of every data key version, retired ones included, and of no other', async () => {
		const before = await loadAuditChainKeys(db, MASTER_KEY);
		expect(before(1)).toEqual(keyring.auditChainKey().key);
		expect(before(2)).toBeUndefined();
		await rotateDataKey(db, MASTER_KEY);
		const after = await loadAuditChainKeys(db, MASTER_KEY);
		expect(after(1)).toEqual(keyring.auditChainKey().key);
		expect(after(2)).toHaveLength(32);
		expect(after(2)).not.toEqual(after(1));
		await expect(loadAuditChainKeys(db, randomBytes(32))).rejects.toThrow();
	});
});
