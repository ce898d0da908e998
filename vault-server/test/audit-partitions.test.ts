import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditContent } from '../src/domain/audit-chain.js';
import { AuditChainAppender } from '../src/domain/audit-chain-appender.js';
import { loadAuditChainKeys } from '../src/domain/audit-chain-keys.js';
import { verifyAuditChain } from '../src/domain/audit-chain-verify.js';
import { archiveAuditLog, AuditArchiveRefused, monthCut } from '../src/domain/audit-archive.js';
import { verifyAuditArchive } from '../src/domain/audit-archive-verify.js';
import { archiveDirProblem, auditMaintenancePass } from '../src/domain/audit-maintenance.js';
import { auditRetentionStore } from '../src/storage/audit-retention-store.js';
import type { AuditEntry } from '../src/storage/audit-store.js';
import type { Database } from '../src/storage/database.js';
import { openVault, type OpenedVault } from '../src/vault.js';
import { CLI_RUN_BOUND_MS, runCli, stopCliRuns } from './helpers/cli.js';
import {
	backends,
	createPostgresDatabase,
	openTestDatabase,
	type TestDatabase,
} from './helpers/databases.js';
import { testConfig, TEST_MASTER_KEY } from './helpers/vault-app.js';

const MASTER_KEY = Buffer.from(TEST_MASTER_KEY, 'hex');
const THIS_MONTH = monthCut(new Date());
/** An instant `monthsAgo` months before this month, on `day` at `time` (UTC). */
const at = (monthsAgo: number, day: number, time = '12:00:00.000') =>
	new Date(
		`${new Date(Date.UTC(THIS_MONTH.getUTCFullYear(), THIS_MONTH.getUTCMonth() - monthsAgo, day)).toISOString().slice(0, 10)}T${time}Z`,
	);
const partitionOf = (date: Date) => `audit_log_${date.toISOString().slice(0, 7).replace('-', '_')}`;

function entry(occurredAt: Date, n: number): AuditEntry {
	return {
		occurred_at: occurredAt.toISOString(),
		request_id: `req-${n}`,
		actor_id: null,
		actor_name: 'admin',
		action: 'client.list',
		client_id: 'acme',
		service: null,
		status_code: 200,
		error_code: null,
		ip: '127.0.0.1',
		// JSON leaves U+2028 and U+2029 raw, and some line readers end a line there
		user_agent: n === 2 ? 'agent\u2028with\u2029separators' : null,
		duration_ms: 1.5,
		workflow_id: null,
		execution_id: null,
		details: { n },
	};
}

// ids 1..8; row 3 has a month with no partition (the default one takes it), row 6 occurred in
// the month before row 5's but was appended after it (a request that ended after midnight)
const ROWS = [
	at(3, 3),
	at(3, 20),
	new Date('2001-01-05T00:00:00.000Z'),
	at(2, 2),
	at(1, 1, '00:00:01.000'),
	at(2, 28, '23:59:59.900'),
	at(1, 10),
	at(0, 1, '00:00:05.000'),
];

describe.each(backends())('audit log partitions on %s', (backend) => {
	let database: TestDatabase;
	let db: Database;
	let vault: OpenedVault;
	let dir: string;

	beforeEach(async () => {
		database = await openTestDatabase(backend);
		db = database.db;
		vault = await openVault(testConfig(), { db });
		dir = mkdtempSync(join(tmpdir(), 'otobot-archive-'));
		await auditRetentionStore(db).createPartitions(at(3, 1), 4);
		await new AuditChainAppender(vault.keyring).append(
			db,
			ROWS.map((date, i) => auditContent(entry(date, i + 1))),
			{ connections: [], tokens: [] },
		);
	});
	afterEach(async () => {
		await database.dispose();
		rmSync(dir, { recursive: true, force: true });
	});

	const keys = () => loadAuditChainKeys(db, MASTER_KEY);
	const rowsById = async () =>
		Object.fromEntries(
			(
				await db.query<{ id: number; partition: string }>(
					'SELECT id, tableoid::regclass::text AS partition FROM audit_log ORDER BY id',
				)
			).map((row) => [row.id, row.partition]),
		);
	const archiveTo = (file: string, before = at(1, 15)) =>
		archiveAuditLog(db, { before, outputFor: () => file });

	it('creates this month and the next two ahead, and a default partition', async () => {
		const names = (await auditRetentionStore(db).partitions()).map((p) => p.name);
		for (const ahead of [0, -1, -2]) expect(names).toContain(partitionOf(at(ahead, 1)));
		expect(names.at(-1)).toBe('audit_log_default');
		const later = new Date(Date.UTC(2031, 4, 17));
		const outcome = await auditMaintenancePass(
			db,
			{ retentionDays: undefined, archiveDir: undefined },
			later,
		);
		expect(outcome).toEqual({ partitionsCreated: 3 });
		const after = (await auditRetentionStore(db).partitions()).map((p) => p.name);
		expect(after).toEqual(
			expect.arrayContaining(['audit_log_2031_05', 'audit_log_2031_06', 'audit_log_2031_07']),
		);
		expect(
			await auditMaintenancePass(db, { retentionDays: undefined, archiveDir: undefined }, later),
		).toEqual({
			partitionsCreated: 0,
		});
	});

	it('puts each row in the partition of its month, and a month without one in the default', async () => {
		expect(await rowsById()).toEqual({
			1: partitionOf(ROWS[0]!),
			2: partitionOf(ROWS[0]!),
			3: 'audit_log_default',
			4: partitionOf(ROWS[3]!),
			5: partitionOf(ROWS[4]!),
			6: partitionOf(ROWS[3]!),
			7: partitionOf(ROWS[4]!),
			8: partitionOf(THIS_MONTH),
		});
	});

	it('archives the rows before the month, drops their partitions, and both the log and the file verify', async () => {
		const file = join(dir, 'archive.jsonl');
		const outcome = await archiveTo(file);
		expect(outcome).toMatchObject({ rows: 6, removed: 6, file, checkpoint: { id: 6 } });
		expect(outcome.cut.toISOString()).toBe(at(1, 1, '00:00:00.000').toISOString());
		expect(await rowsById()).toEqual({ 7: partitionOf(ROWS[4]!), 8: partitionOf(THIS_MONTH) });
		const names = (await auditRetentionStore(db).partitions()).map((p) => p.name);
		expect(names).not.toContain(partitionOf(ROWS[0]!));
		expect(names).not.toContain(partitionOf(ROWS[3]!));
		expect(names).toContain('audit_log_default');

		const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
		expect(lines).toHaveLength(7);
		expect(JSON.parse(lines[0]!)).toMatchObject({
			after_checkpoint: { id: 0, hash: '' },
			checkpoint: { id: 6 },
			rows: 6,
		});
		expect(lines.slice(1).map((line) => (JSON.parse(line) as { id: number }).id)).toEqual([
			1, 2, 3, 4, 5, 6,
		]);

		expect(await verifyAuditChain(db, await keys())).toMatchObject({
			ok: true,
			rows: 2,
			checkpointId: 6,
		});
		expect(await verifyAuditArchive(db, await keys(), file)).toEqual({
			ok: true,
			rows: 6,
			checkpointId: 6,
		});
	});

	it('fails an archive whose rows were edited, removed or cut short, or whose checkpoint is not ours', async () => {
		const file = join(dir, 'archive.jsonl');
		await archiveTo(file);
		const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
		const verdictOf = async (changed: string[]) => {
			const tampered = join(dir, `tampered-${Math.random()}.jsonl`);
			writeFileSync(tampered, `${changed.join('\n')}\n`);
			return verifyAuditArchive(db, await keys(), tampered);
		};
		const edited = [...lines];
		edited[3] = edited[3]!.replace('"actor_name":"admin"', '"actor_name":"someone else"');
		expect(edited[3]).not.toBe(lines[3]);
		expect(await verdictOf(edited)).toMatchObject({
			ok: false,
			problem: { kind: 'edited', id: 3 },
		});
		expect(await verdictOf(lines.filter((_, i) => i !== 2))).toMatchObject({
			ok: false,
			problem: { kind: 'deleted', id: 3 },
		});
		expect(await verdictOf(lines.slice(0, -1))).toMatchObject({
			ok: false,
			problem: { kind: 'short' },
		});
		const header = JSON.parse(lines[0]!) as { checkpoint: { id: number; hash: string } };
		const forged = [
			JSON.stringify({ ...header, checkpoint: { id: 6, hash: 'ab'.repeat(32) } }),
			...lines.slice(1),
		];
		expect(await verdictOf(forged)).toMatchObject({
			ok: false,
			problem: { kind: 'unknown_checkpoint' },
		});
		expect(await verdictOf(['not json', ...lines.slice(1)])).toMatchObject({
			ok: false,
			problem: { kind: 'not_an_archive', line: 1 },
		});
	});

	it('still refuses DELETE and TRUNCATE on the log and on each partition', async () => {
		const month = partitionOf(ROWS[0]!);
		for (const statement of [
			'DELETE FROM audit_log WHERE id = 1',
			`DELETE FROM ${month} WHERE id = 1`,
			'DELETE FROM audit_log_default',
			'UPDATE audit_log SET actor_name = NULL WHERE id = 7',
			'TRUNCATE audit_log',
			`TRUNCATE ${month}`,
			'TRUNCATE audit_log_default',
		]) {
			await expect(db.query(statement), statement).rejects.toThrow(/append-only/);
		}
		expect(Object.keys(await rowsById())).toHaveLength(8);
		// DDL is not refused by triggers: a partition dropped by its owner breaks the chain, and verify says where
		let verdict: Awaited<ReturnType<typeof verifyAuditChain>> | undefined;
		await db
			.transaction(async (tx) => {
				await tx.query(`DROP TABLE ${partitionOf(ROWS[3]!)}`);
				verdict = await verifyAuditChain(tx, await loadAuditChainKeys(tx, MASTER_KEY));
				throw new Error('rolled back');
			})
			.catch(() => {});
		expect(verdict).toMatchObject({ ok: false, problem: { id: 5, kind: 'deleted' } });
	});

	it('removes nothing when the archive cannot be written or the file exists', async () => {
		await expect(archiveTo(join(dir, 'missing-folder', 'archive.jsonl'))).rejects.toThrow(/ENOENT/);
		const existing = join(dir, 'existing.jsonl');
		writeFileSync(existing, 'keep me\n');
		await expect(archiveTo(existing)).rejects.toThrow(AuditArchiveRefused);
		expect(readFileSync(existing, 'utf8')).toBe('keep me\n');
		expect(Object.keys(await rowsById())).toHaveLength(8);
		expect(readdirSync(dir)).toEqual(['existing.jsonl']);
		await expect(
			db.query(`SELECT audit_remove_before(7, 5, decode('${'00'.repeat(32)}', 'hex'))`),
		).rejects.toThrow(/archived hash/);
		expect(Object.keys(await rowsById())).toHaveLength(8);
	});

	it('takes an identical archive left by a run stopped before the removal, and removes the rows', async () => {
		const stopped = join(dir, 'stopped.jsonl');
		let removed = 0;
		await db
			.transaction(async (tx) => {
				removed = (await archiveAuditLog(tx, { before: at(1, 15), outputFor: () => stopped }))
					.removed;
				throw new Error('stopped before the commit');
			})
			.catch(() => {});
		expect(removed).toBe(6);
		expect(Object.keys(await rowsById())).toHaveLength(8);
		expect(await archiveTo(stopped)).toMatchObject({ rows: 6, removed: 6, file: stopped });
		expect(readdirSync(dir)).toEqual(['stopped.jsonl']);
		expect(await verifyAuditArchive(db, await keys(), stopped)).toMatchObject({
			ok: true,
			rows: 6,
		});
	});

	it('archives on schedule with AUDIT_RETENTION_DAYS into AUDIT_ARCHIVE_DIR, once', async () => {
		const retention = { retentionDays: 30, archiveDir: dir };
		// 30 days before the 20th of this month falls in last month: the cut is last month's 1st
		const now = at(0, 20);
		const first = await auditMaintenancePass(db, retention, now);
		expect(first.archive).toMatchObject({
			rows: 6,
			removed: 6,
			file: join(dir, 'audit-1-6.jsonl'),
		});
		expect(await verifyAuditArchive(db, await keys(), join(dir, 'audit-1-6.jsonl'))).toMatchObject({
			ok: true,
		});
		const second = await auditMaintenancePass(db, retention, now);
		expect(second.archive).toMatchObject({ rows: 0, removed: 0 });
		expect(readdirSync(dir)).toEqual(['audit-1-6.jsonl']);
		expect(await verifyAuditChain(db, await keys())).toMatchObject({ ok: true, checkpointId: 6 });
	});
});

describe.each(backends())('audit archive and verify --archive (the CLI) on %s', (backend) => {
	let dir: string;
	let env: Record<string, string>;
	let dropDatabase: (() => Promise<void>) | undefined;

	beforeAll(async () => {
		dir = mkdtempSync(join(tmpdir(), 'otobot-archive-cli-'));
		env = { ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY, VAULT_DATA_DIR: join(dir, 'data'), PORT: '1' };
		if (backend === 'postgres') {
			const created = await createPostgresDatabase();
			env.DATABASE_URL = created.url;
			dropDatabase = created.drop;
		}
		const vault = await openVault(testConfig(env));
		try {
			await auditRetentionStore(vault.db).createPartitions(at(3, 1), 4);
			await new AuditChainAppender(vault.keyring).append(
				vault.db,
				ROWS.map((date, i) => auditContent(entry(date, i + 1))),
				{ connections: [], tokens: [] },
			);
		} finally {
			await vault.db.close();
		}
	});
	afterEach(stopCliRuns);
	afterAll(async () => {
		await dropDatabase?.();
		rmSync(dir, { recursive: true, force: true });
	});

	// seven CLI runs, each starting the embedded database on PGlite: bounded as seven runs are
	it(
		'archives, then the log and the archive verify; a tampered copy fails naming the row',
		async () => {
			const file = join(dir, 'archive.jsonl');
			const before = at(1, 15).toISOString().slice(0, 10);
			expect(
				await runCli(['audit', 'archive', '--before', 'last month', '--output', file], env),
			).toMatchObject({ code: 2 });
			const archived = await runCli(
				['audit', 'archive', '--before', before, '--output', file],
				env,
			);
			expect(archived.stderr).toBe('');
			expect(archived).toMatchObject({ code: 0 });
			expect(archived.stdout).toContain(
				`Archived 6 audit rows (before ${at(1, 1, '00:00:00.000').toISOString()}) to ${file}; 6 removed, checkpoint 6:`,
			);
			const again = await runCli(
				['audit', 'archive', '--before', before, '--output', `${file}.2`],
				env,
			);
			expect(again.stdout).toContain('nothing archived');

			const verified = await runCli(['audit', 'verify'], env);
			expect(verified).toMatchObject({ code: 0 });
			expect(verified.stdout).toContain('Audit log OK: 2 rows after retention checkpoint 6');
			const archive = await runCli(['audit', 'verify', '--archive', file], env);
			expect(archive).toMatchObject({ code: 0 });
			expect(archive.stdout).toContain(
				'Audit archive OK: 6 rows, chained up to retention checkpoint 6.',
			);

			const tampered = join(dir, 'tampered.jsonl');
			writeFileSync(
				tampered,
				readFileSync(file, 'utf8').replace('"request_id":"req-4"', '"request_id":"req-X"'),
			);
			const refused = await runCli(['audit', 'verify', '--archive', tampered], env);
			expect(refused).toMatchObject({ code: 1 });
			expect(refused.stderr).toContain('Audit archive TAMPERED at row 4 (line 5)');
		},
		7 * CLI_RUN_BOUND_MS,
	);
});

describe('AUDIT_RETENTION_DAYS and AUDIT_ARCHIVE_DIR at start', () => {
	it('refuses a retention without an archive folder, and a folder the vault cannot write to', () => {
		expect(() => testConfig({ AUDIT_RETENTION_DAYS: '30' })).toThrow(
			/AUDIT_RETENTION_DAYS is set but AUDIT_ARCHIVE_DIR is not/,
		);
		expect(() => testConfig({ AUDIT_RETENTION_DAYS: '0', AUDIT_ARCHIVE_DIR: tmpdir() })).toThrow(
			/AUDIT_RETENTION_DAYS/,
		);
		const dir = mkdtempSync(join(tmpdir(), 'otobot-archive-dir-'));
		try {
			const file = join(dir, 'a-file');
			writeFileSync(file, '');
			const config = (archiveDir: string) =>
				testConfig({ AUDIT_RETENTION_DAYS: '30', AUDIT_ARCHIVE_DIR: archiveDir }).audit;
			expect(config(dir)).toEqual({ retentionDays: 30, archiveDir: dir });
			expect(archiveDirProblem(config(dir))).toBeUndefined();
			expect(archiveDirProblem(config(file))).toBe(
				`AUDIT_ARCHIVE_DIR ${file} (set in the environment) is not a folder`,
			);
			expect(archiveDirProblem(config(join(dir, 'missing')))).toMatch(
				/missing \(set in the environment\) cannot take the audit archives \(ENOENT\)/,
			);
			expect(testConfig().audit).toEqual({ retentionDays: undefined, archiveDir: undefined });
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
