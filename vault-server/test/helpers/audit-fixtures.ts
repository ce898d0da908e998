import type { Keyring } from '../../src/crypto/keyring.js';
import { loadAuditChainKeys } from '../../src/domain/audit-chain-keys.js';
import {
	verifyAuditChain,
	type ChainVerdict,
	type ExportedHead,
} from '../../src/domain/audit-chain-verify.js';
import type { AuditEntry } from '../../src/storage/audit-store.js';
import type { Database, Queryable } from '../../src/storage/database.js';
import { openVault } from '../../src/vault.js';
import { openTestDatabase, type Backend, type TestDatabase } from './databases.js';
import { TEST_MASTER_KEY, testConfig } from './vault-app.js';

// What the audit log tests share: a keyed database without HTTP, entries to write, the chain
// verified under the test master key, and changes to the log that are rolled back afterwards.

/** The test master key as bytes, as the vault's key functions take it. */
export const MASTER_KEY = Buffer.from(TEST_MASTER_KEY, 'hex');

/** A fresh test database with the vault's schema and its keyring, opened in-process (no HTTP). */
export interface KeyedDatabase {
	database: TestDatabase;
	db: Database;
	keyring: Keyring;
}

/** Opens a fresh database on `backend` and the vault on it; `database.dispose()` closes it. */
export async function openKeyedDatabase(backend: Backend): Promise<KeyedDatabase> {
	const database = await openTestDatabase(backend);
	const { keyring } = await openVault(testConfig(), { db: database.db });
	return { database, db: database.db, keyring };
}

/**
 * An audit entry of action `test.row` by actor `test`, status 200, 1 ms, stamped now, every other
 * field null; `fields` replace any of these.
 */
export const auditEntry = (fields: Partial<AuditEntry> = {}): AuditEntry => ({
	occurred_at: new Date().toISOString(),
	request_id: null,
	actor_id: 'test',
	actor_name: 'test',
	action: 'test.row',
	client_id: null,
	service: null,
	status_code: 200,
	error_code: null,
	ip: null,
	user_agent: null,
	duration_ms: 1,
	workflow_id: null,
	execution_id: null,
	details: null,
	...fields,
});

/** The chain's verdict with the chain keys the test master key opens, against `expectHead` if given. */
export const verifyChain = async (
	db: Queryable,
	expectHead?: ExportedHead,
): Promise<ChainVerdict> =>
	verifyAuditChain(db, await loadAuditChainKeys(db, MASTER_KEY), expectHead);

/** The stored hash of audit row `id`, as lowercase hex (the form an exported head carries). */
export const rowHash = async (db: Queryable, id: number): Promise<string> =>
	Buffer.from(
		(await db.query<{ hash: Uint8Array }>('SELECT hash FROM audit_log WHERE id = $1', [id]))[0]!
			.hash,
	).toString('hex');

/** An audit_log row as `SELECT *` reads it. */
export type AuditRow = Record<string, unknown> & { id: number };

/** The id of the log's last row, 0 when it has none. */
export const lastAuditId = async (db: Queryable): Promise<number> =>
	(await db.query<{ id: number }>('SELECT coalesce(max(id), 0)::int AS id FROM audit_log'))[0]!.id;

/** Every audit row after `id`, oldest first. */
export const auditRowsAfter = (db: Queryable, id: number): Promise<AuditRow[]> =>
	db.query<AuditRow>('SELECT * FROM audit_log WHERE id > $1 ORDER BY id', [id]);

const ROLLBACK = new Error('rolled back on purpose');

/**
 * What `body` returns, run in a transaction that is rolled back afterwards, so each case starts
 * from the same log. An error `body` throws rejects as it is.
 */
export async function thenRollBack<T>(
	db: Database,
	body: (tx: Queryable) => Promise<T>,
): Promise<T> {
	let result: T | undefined;
	await db
		.transaction(async (tx) => {
			result = await body(tx);
			throw ROLLBACK;
		})
		.catch((error: unknown) => {
			if (error !== ROLLBACK) throw error;
		});
	return result!;
}

/** `thenRollBack` with the log's append-only triggers off, as a superuser could turn them off. */
export const inAttack = <T>(db: Database, body: (tx: Queryable) => Promise<T>): Promise<T> =>
	thenRollBack(db, async (tx) => {
		await tx.query('SET LOCAL session_replication_role = replica');
		return body(tx);
	});

const APPEND = 'audit_append_keyed(bigint, text, integer, json, json, jsonb, uuid[])';
const OFFLINE = 'audit_offline(bigint, text, integer, json, json, jsonb, uuid[])';

/** What `body` returns, run while the append function is renamed: every audit write fails. */
export async function withAppendOffline<T>(db: Queryable, body: () => Promise<T>): Promise<T> {
	await db.query(`ALTER FUNCTION ${APPEND} RENAME TO audit_offline`);
	try {
		return await body();
	} finally {
		await db.query(`ALTER FUNCTION ${OFFLINE} RENAME TO audit_append_keyed`);
	}
}
