import type { Config } from '../../config/config.js';
import { resolveMasterKey } from '../../crypto/master-key.js';
import { Keyring } from '../../crypto/keyring.js';
import type { Database } from '../../storage/database.js';
import { pendingMigrations, readMigrations } from '../../storage/migrations.js';
import { migrationsDirectory } from '../../storage/sql-directory.js';
import { encryptionKeysStore } from '../../storage/encryption-keys-store.js';

export type CheckStatus = 'OK' | 'FAILED' | 'SKIPPED' | 'NOT CHECKED';

export interface CheckResult {
	name: string;
	status: CheckStatus;
	detail: string;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function checkDatabase(db: Database): Promise<CheckResult> {
	try {
		await db.ping();
		return {
			name: 'database',
			status: 'OK',
			detail: db.kind === 'pglite' ? 'embedded PGlite answers' : 'PostgreSQL answers',
		};
	} catch (error) {
		return { name: 'database', status: 'FAILED', detail: message(error) };
	}
}

export async function checkMigrations(db: Database): Promise<CheckResult> {
	const known = readMigrations(migrationsDirectory());
	const pending = await pendingMigrations(db, known);
	if (pending.length === 0)
		return { name: 'migrations', status: 'OK', detail: `${known.length} applied, none pending` };
	const names = pending.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`).join(', ');
	return {
		name: 'migrations',
		status: 'FAILED',
		detail: `pending: ${names} (run otobot-vault migrate)`,
	};
}

/** The master key opens every data key still in use; a keyring to test connections with. */
export async function checkMasterKey(
	db: Database,
	config: Config,
): Promise<{ result: CheckResult; keyring?: Keyring }> {
	try {
		const [row] = await db.query<{ count: number }>(
			"SELECT count(*)::int AS count FROM encryption_keys WHERE status <> 'retired'",
		);
		if (!row?.count)
			return {
				result: {
					name: 'master key',
					status: 'SKIPPED',
					detail: 'no data key yet (the first start creates one)',
				},
			};
		const keyring = await Keyring.open(encryptionKeysStore(db), resolveMasterKey(config).key);
		return {
			result: {
				name: 'master key',
				status: 'OK',
				detail: `opens all ${row.count} data key version(s)`,
			},
			keyring,
		};
	} catch (error) {
		return { result: { name: 'master key', status: 'FAILED', detail: message(error) } };
	}
}

/** GET /health of the running API; not running is a note, not a failure. */
export async function checkApiHealth(apiUrl: string): Promise<CheckResult> {
	const url = `${apiUrl}/health`;
	try {
		const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(3000) });
		const body = (await response.json().catch(() => ({}))) as { status?: string; version?: string };
		if (response.ok)
			return {
				name: 'API health',
				status: 'OK',
				detail: `${url}: ${body.status ?? 'ok'} (version ${body.version ?? '?'})`,
			};
		return {
			name: 'API health',
			status: 'FAILED',
			detail: `${url} answered HTTP ${response.status}`,
		};
	} catch {
		return {
			name: 'API health',
			status: 'SKIPPED',
			detail: `no API answers at ${url}: the vault is not running there (PORT, HOST or serve --port set elsewhere?)`,
		};
	}
}
