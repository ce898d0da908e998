import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { archiveAuditLog, monthCut } from '../src/domain/audit-archive.js';
import { verifyAuditArchive } from '../src/domain/audit-archive-verify.js';
import { auditContent } from '../src/domain/audit-chain.js';
import { AuditChainAppender } from '../src/domain/audit-chain-appender.js';
import { loadAuditChainKeys } from '../src/domain/audit-chain-keys.js';
import { auditRetentionStore } from '../src/storage/audit-retention-store.js';
import { openVault } from '../src/vault.js';
import type { PhaseSetup } from './phase-setup.js';

const ROWS = 100_000;
const BATCH = 1000;

export interface ArchiveRate {
	rows: number;
	/** Rows per second written to the file, fsynced and removed (`audit archive`). */
	archivePerSecond: number;
	/** Rows per second checked by `audit verify --archive`. */
	verifyPerSecond: number;
	fileBytes: number;
}

/**
 * `audit archive` on PostgreSQL: ROWS fetch-like audit rows of last month (one partition, keyed
 * chain), archived and removed; then the file verified against the checkpoint.
 */
export async function measureArchiveRate(setup: PhaseSetup): Promise<ArchiveRate> {
	const url = await setup.createDatabase('otobot_bench_archive');
	const vault = await openVault(
		loadConfig({
			NODE_ENV: 'production',
			DATABASE_URL: url,
			ENCRYPTION_MASTER_KEY: setup.masterKey,
		}),
	);
	const dir = mkdtempSync(join(tmpdir(), 'otobot-bench-archive-'));
	try {
		const thisMonth = monthCut(new Date());
		const lastMonth = new Date(
			Date.UTC(thisMonth.getUTCFullYear(), thisMonth.getUTCMonth() - 1, 1),
		);
		await auditRetentionStore(vault.db).createPartitions(lastMonth, 1);
		const appender = new AuditChainAppender(vault.keyring);
		for (let from = 0; from < ROWS; from += BATCH) {
			const contents = Array.from({ length: BATCH }, (_, i) =>
				auditContent({
					occurred_at: new Date(lastMonth.getTime() + (from + i) * 1000).toISOString(),
					request_id: `req-${from + i}`,
					actor_id: '5f0c6f64-8a43-4a3e-9d6c-3c2d7b1f9a10',
					actor_name: 'n8n-production',
					action: 'credential.fetch',
					client_id: `client-${(from + i) % 1000}`,
					service: 'bench-openai',
					status_code: 200,
					error_code: null,
					ip: '10.0.0.7',
					user_agent: 'n8n/1.90.0',
					duration_ms: 1.7,
					workflow_id: 'wf-1234',
					execution_id: `exec-${from + i}`,
					details: null,
				}),
			);
			await appender.append(vault.db, contents, { connections: [], tokens: [] });
		}
		const file = join(dir, 'archive.jsonl');
		const archiveStarted = performance.now();
		const outcome = await archiveAuditLog(vault.db, { before: thisMonth, outputFor: () => file });
		const archiveSeconds = (performance.now() - archiveStarted) / 1000;
		if (outcome.removed !== ROWS) throw new Error(`archived ${outcome.removed} rows, not ${ROWS}`);
		const keys = await loadAuditChainKeys(vault.db, vault.masterKey.key);
		const verifyStarted = performance.now();
		const verdict = await verifyAuditArchive(vault.db, keys, file);
		const verifySeconds = (performance.now() - verifyStarted) / 1000;
		if (!verdict.ok) throw new Error(`the archive did not verify: ${JSON.stringify(verdict)}`);
		return {
			rows: ROWS,
			archivePerSecond: ROWS / archiveSeconds,
			verifyPerSecond: ROWS / verifySeconds,
			fileBytes: statSync(file).size,
		};
	} finally {
		await vault.db.close();
		rmSync(dir, { recursive: true, force: true });
	}
}

export const describeArchiveRate = (rate: ArchiveRate) =>
	`Audit archive: ${rate.rows.toLocaleString('en')} rows archived and removed at ` +
	`${Math.round(rate.archivePerSecond).toLocaleString('en')} rows/s ` +
	`(${(rate.fileBytes / rate.rows).toFixed(0)} bytes a row); verify --archive ` +
	`${Math.round(rate.verifyPerSecond).toLocaleString('en')} rows/s`;
