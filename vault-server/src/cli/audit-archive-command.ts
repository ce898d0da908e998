import { resolve } from 'node:path';
import type { Config } from '../config/config.js';
import { archiveAuditLog, AuditArchiveRefused } from '../domain/audit-archive.js';
import { verifyAuditArchive, type ArchiveProblem } from '../domain/audit-archive-verify.js';
import { loadAuditChainKeys } from '../domain/audit-chain-keys.js';
import { openVault } from '../vault.js';
import { outputFolderProblem } from '../domain/backup/backup-output.js';
import { CliFailure, reportFailure } from './cli-output.js';

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** `--before` as a Date: `YYYY-MM-DD` (UTC midnight) or an ISO 8601 time with its zone. */
export function parseArchiveDate(text: string): Date | undefined {
	if (!DATE.test(text.trim())) return undefined;
	const date = new Date(text.trim());
	return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * `otobot-vault audit archive --before DATE --output FILE`: writes the rows that occurred before
 * the month of DATE (UTC) to FILE, then removes them (domain/audit-archive.ts). Exit 0 (also when
 * no row is that old), 1 when the archive was refused (nothing removed), 2 for a malformed DATE.
 */
export async function auditArchiveCommand(
	config: Config,
	options: { before: string; output: string },
): Promise<number> {
	const before = parseArchiveDate(options.before);
	if (!before) {
		reportFailure('--before must be a date, YYYY-MM-DD (or an ISO 8601 time with its zone)');
		return 2;
	}
	const folderProblem = outputFolderProblem(resolve(options.output));
	if (folderProblem) throw new CliFailure(folderProblem);
	const vault = await openVault(config);
	try {
		const outcome = await archiveAuditLog(vault.db, {
			before,
			outputFor: () => resolve(options.output),
		});
		const cut = outcome.cut.toISOString();
		if (!outcome.file) {
			console.log(`No audit row occurred before ${cut}: nothing archived.`);
			return 0;
		}
		console.log(
			`Archived ${outcome.rows} audit rows (before ${cut}) to ${outcome.file}; ` +
				`${outcome.removed} removed, checkpoint ${outcome.checkpoint!.id}:${outcome.checkpoint!.hash}.`,
		);
		return 0;
	} catch (error) {
		if (!(error instanceof AuditArchiveRefused)) throw error;
		reportFailure(`Audit archive refused: ${error.message}`);
		return 1;
	} finally {
		await vault.db.close();
	}
}

const PROBLEMS: Record<ArchiveProblem, string> = {
	edited: 'its content no longer matches its hash (the row was edited)',
	unkeyed: 'it carries an unkeyed SHA-256 hash where the chain is keyed',
	deleted: 'the chain is broken before it (a row was removed or inserted)',
	head_mismatch: 'the chain does not end where it should',
	truncated: 'it differs from the exported head',
	beyond_end: 'it is past the end',
	not_an_archive: 'it is not an audit archive line',
	unknown_checkpoint:
		"its header names a checkpoint this vault's log does not have (or with another hash)",
	short: 'the rows end before the checkpoint the header names (rows were removed from the end)',
};

/**
 * `otobot-vault audit verify --archive FILE`: exit 0 when the archive's rows chain up to a
 * checkpoint of this vault, 1 naming the first bad row or line.
 */
export async function auditVerifyArchiveCommand(config: Config, file: string): Promise<number> {
	const vault = await openVault(config);
	try {
		const keys = await loadAuditChainKeys(vault.db, vault.masterKey.key);
		const verdict = await verifyAuditArchive(vault.db, keys, file);
		if (verdict.ok) {
			console.log(
				`Audit archive OK: ${verdict.rows} rows, chained up to retention checkpoint ${verdict.checkpointId}.`,
			);
			return 0;
		}
		const problem = verdict.problem!;
		const where =
			problem.id === undefined
				? `line ${problem.line}`
				: `row ${problem.id} (line ${problem.line})`;
		console.error(
			`Audit archive TAMPERED at ${where}: ${PROBLEMS[problem.kind]}. ${verdict.rows} rows verified before it.`,
		);
		return 1;
	} finally {
		await vault.db.close();
	}
}
