import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacAuditRow } from '../src/crypto/audit-chain-key.js';
import { auditContent, hashAuditRow } from '../src/domain/audit-chain.js';
import { loadAuditChainKeys } from '../src/domain/audit-chain-keys.js';
import {
	verifyAuditChain,
	type ChainVerdict,
	type ExportedHead,
} from '../src/domain/audit-chain-verify.js';
import { AuditWriter } from '../src/domain/audit-writer.js';
import { rotateDataKey } from '../src/domain/key-rotation.js';
import { rewrapDataKeysUnder } from '../src/domain/master-key-rotation.js';
import { auditStore, type AuditRow } from '../src/storage/audit-store.js';
import type { Database, Queryable } from '../src/storage/database.js';
import { migrate, readMigrations } from '../src/storage/migrations.js';
import { migrationsDirectory } from '../src/storage/sql-directory.js';
import { openVault } from '../src/vault.js';
import {
	auditEntry,
	inAttack,
	MASTER_KEY,
	thenRollBack,
	verifyChain,
} from './helpers/audit-fixtures.js';
import { backends, openTestDatabase } from './helpers/databases.js';
import {
	asAdmin,
	asInternal,
	startTestVault,
	testConfig,
	type TestVault,
} from './helpers/vault-app.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * Runs `tamper` as an attacker with SQL rights would, triggers off (a superuser can turn them off),
 * then verifies (against `expectHead` if given) and rolls everything back.
 */
const verdictAfterAttack = (
	db: Database,
	tamper: (tx: Queryable) => Promise<void>,
	expectHead?: ExportedHead,
): Promise<ChainVerdict> =>
	inAttack(db, async (tx) => {
		await tamper(tx);
		return verifyChain(tx, expectHead);
	});

/**
 * The attacker's script: edit row `from`, then recompute every hash after it with `rehash` (the
 * published SHA-256 formula, or an HMAC under a key of the attacker's) and move the head.
 */
async function rewriteChainFrom(
	tx: Queryable,
	from: number,
	rehash: (prev: string, row: AuditRow) => string,
	version: (row: AuditRow) => number | null = (row) => row.chain_key_version,
): Promise<void> {
	await tx.query(`UPDATE audit_log SET actor_name = 'someone else' WHERE id = $1`, [from]);
	const rows = (await auditStore(tx).page(0, 100_000)).filter((row) => row.id >= from);
	const [before] = await tx.query<{ hash: Uint8Array }>(
		'SELECT hash FROM audit_log WHERE id = $1',
		[from - 1],
	);
	let prev = before ? hex(before.hash) : '';
	for (const row of rows) {
		const rewritten = { ...row, chain_key_version: version(row) };
		const hash = rehash(prev, rewritten);
		await tx.query(
			`UPDATE audit_log SET prev_hash = decode($2, 'hex'), hash = decode($3, 'hex'),
			 chain_key_version = $4 WHERE id = $1`,
			[row.id, prev, hash, rewritten.chain_key_version],
		);
		prev = hash;
	}
	await tx.query(`UPDATE audit_chain_head SET last_hash = decode($1, 'hex') WHERE id = 1`, [prev]);
}

const readHead = async (db: Queryable): Promise<ExportedHead> => {
	const head = (await auditStore(db).readHead())!;
	return { id: head.last_id, hash: hex(head.last_hash) };
};

describe.each(backends())('keyed audit chain on %s', (backend) => {
	let vault: TestVault;
	let db: Database;
	beforeAll(async () => {
		vault = await startTestVault(backend);
		db = vault.database.db;
		for (let i = 0; i < 12; i += 1)
			await vault.app.inject({ url: `/v1/clients?page=${i}`, headers: asAdmin });
	});
	afterAll(async () => vault?.close());

	it('keys every row with the active data key version and verifies', async () => {
		const rows = await auditStore(db).page(0, 1000);
		expect(rows.length).toBeGreaterThanOrEqual(12);
		expect(new Set(rows.map((row) => row.chain_key_version))).toEqual(new Set([1]));
		expect(await verifyChain(db)).toMatchObject({ ok: true, rows: rows.length });
	});

	it('refuses UPDATE, DELETE and TRUNCATE of the log, and a head moved back', async () => {
		const refusals = [
			`UPDATE audit_log SET status_code = 299 WHERE id = 3`,
			`DELETE FROM audit_log WHERE id >= 10`,
			`TRUNCATE audit_log`,
			`UPDATE audit_chain_head SET last_id = last_id - 1 WHERE id = 1`,
			`UPDATE audit_chain_head SET last_hash = sha256(last_hash) WHERE id = 1`,
			`UPDATE audit_chain_head SET keyed_from = last_id + 1 WHERE id = 1`,
		];
		for (const statement of refusals)
			await expect(db.query(statement), statement).rejects.toThrow(
				/append-only|only moves forward/,
			);
		expect(await verifyChain(db)).toMatchObject({ ok: true });
	});

	it('names the first rewritten row when the chain is recomputed with SHA-256 by SQL', async () => {
		const sha = (prev: string, row: AuditRow) => hashAuditRow(prev, row);
		// keeping each row's key version, and marking the rows unkeyed as before the keyed chain
		expect(await verdictAfterAttack(db, (tx) => rewriteChainFrom(tx, 5, sha))).toMatchObject({
			ok: false,
			problem: { id: 5, kind: 'edited' },
		});
		expect(
			await verdictAfterAttack(db, (tx) => rewriteChainFrom(tx, 5, sha, () => null)),
		).toMatchObject({ ok: false, problem: { id: 5, kind: 'unkeyed' }, rows: 4 });
	});

	it('names the first row re-HMACed under a key that is not the vault’s', async () => {
		const wrongKey = randomBytes(32);
		const forge = (prev: string, row: AuditRow) =>
			hmacAuditRow(wrongKey, row.chain_key_version!, prev, row.id, auditContent(row));
		expect(await verdictAfterAttack(db, (tx) => rewriteChainFrom(tx, 7, forge))).toMatchObject({
			ok: false,
			problem: { id: 7, kind: 'edited' },
		});
	});

	it('finds a deleted tail with the head moved only against an exported head', async () => {
		const exported = await readHead(db);
		const cutTail = async (tx: Queryable) => {
			await tx.query('DELETE FROM audit_log WHERE id > $1', [exported.id - 3]);
			await tx.query(
				`UPDATE audit_chain_head SET last_id = a.id, last_hash = a.hash FROM audit_log a
				 WHERE audit_chain_head.id = 1 AND a.id = $1`,
				[exported.id - 3],
			);
		};
		// the rows left are a valid chain: only a head kept elsewhere tells
		expect(await verdictAfterAttack(db, cutTail)).toMatchObject({ ok: true });
		expect(await verdictAfterAttack(db, cutTail, exported)).toMatchObject({
			ok: false,
			problem: { id: exported.id - 2, kind: 'beyond_end' },
		});
		expect(
			await verifyChain(db, { id: exported.id, hash: randomBytes(32).toString('hex') }),
		).toMatchObject({ ok: false, problem: { id: exported.id, kind: 'truncated' } });
		expect(await verifyChain(db, exported)).toMatchObject({ ok: true, expectedHeadChecked: true });
	});

	it('exports the head on /metrics', async () => {
		const response = await vault.app.inject({ url: '/metrics', headers: asAdmin });
		const head = await readHead(db);
		expect(response.body).toContain(`otobot_vault_audit_chain_head_id ${head.id}\n`);
		expect(response.body).toMatch(
			new RegExp(`otobot_vault_audit_chain_head_info\\{id="${head.id}",hash="${head.hash}"\\} 1`),
		);
	});

	it('removes rows only through audit_remove_before, which leaves a checkpoint to verify from', async () => {
		const { removed, verdict } = await thenRollBack(db, async (tx) => {
			const removed = (
				await tx.query<{ removed: number }>('SELECT audit_remove_before(6)::int AS removed')
			)[0]!.removed;
			const verdict = await verifyChain(tx);
			await expect(tx.query('DELETE FROM audit_checkpoints')).rejects.toThrow(/append-only/);
			return { removed, verdict };
		});
		expect(removed).toBe(5);
		expect(verdict).toMatchObject({ ok: true, checkpointId: 5 });
	});
});

describe.each(backends())('keyed audit chain across changes on %s', (backend) => {
	it('keeps the SHA-256 rows written before migration 0008 verifying, then keys the rest', async () => {
		const database = await openTestDatabase(backend);
		try {
			const all = readMigrations(migrationsDirectory());
			await migrate(
				database.db,
				all.filter((m) => m.version < 8),
			);
			const entry = (n: number) =>
				auditContent(
					auditEntry({
						occurred_at: `2026-01-01T00:00:0${n}.000Z`,
						request_id: `req-${n}`,
						actor_id: null,
						actor_name: null,
						action: 'client.list',
						ip: '127.0.0.1',
					}),
				);
			await database.db.query(`SELECT audit_append_contents($1::json, '[]'::jsonb, '{}'::uuid[])`, [
				[1, 2, 3].map(entry),
			]);
			const vault = await openVault(testConfig(), { db: database.db });
			const writer = new AuditWriter(database.db, vault.keyring);
			await writer.record({ entry: JSON.parse(entry(4)) });
			await writer.record({ entry: JSON.parse(entry(5)) });
			const rows = await auditStore(database.db).page(0, 10);
			expect(rows.map((row) => row.chain_key_version)).toEqual([null, null, null, 1, 1]);
			expect(await verifyChain(database.db)).toMatchObject({ ok: true, rows: 5, unkeyedRows: 3 });
			// the unkeyed rows are bound by the first keyed row after them
			const sha = (prev: string, row: AuditRow) => hashAuditRow(prev, row);
			expect(
				await verdictAfterAttack(database.db, (tx) => rewriteChainFrom(tx, 2, sha)),
			).toMatchObject({ ok: false, problem: { id: 4, kind: 'edited' } });
			// and the database's own SQL appender no longer writes unkeyed rows
			await expect(
				database.db.query(`SELECT audit_append_contents($1::json, '[]'::jsonb, '{}'::uuid[])`, [
					[entry(6)],
				]),
			).rejects.toThrow(/retired by migration 0008/);
		} finally {
			await database.dispose();
		}
	});

	it('verifies rows of every data key after a data-key rotation and a master-key rotation', async () => {
		const vault = await startTestVault(backend);
		try {
			const db = vault.database.db;
			await vault.app.inject({ url: '/v1/clients', headers: asAdmin });
			await rotateDataKey(db, MASTER_KEY);
			await vault.vault.keyring.reload();
			await vault.app.inject({ url: '/v1/credentials/acme/none', headers: asInternal });
			const versions = (await auditStore(db).page(0, 10)).map((row) => row.chain_key_version);
			expect(versions).toEqual([1, 2]);
			const newMasterKey = randomBytes(32);
			await rewrapDataKeysUnder(db, newMasterKey, MASTER_KEY);
			const keys = await loadAuditChainKeys(db, newMasterKey);
			expect(await verifyAuditChain(db, keys)).toMatchObject({ ok: true, rows: 2 });
			await expect(loadAuditChainKeys(db, MASTER_KEY)).rejects.toThrow(/cannot open/);
		} finally {
			await vault.close();
		}
	});
});
