import { openVault } from '../vault.js';
import { verifyAuditChain, type ExportedHead } from '../domain/audit-chain-verify.js';
import { loadAuditChainKeys } from '../domain/audit-chain-keys.js';
import { auditStore } from '../storage/audit-store.js';
import type { Config } from '../config/config.js';
import { auditVerifyArchiveCommand } from './audit-archive-command.js';

const PROBLEMS = {
	edited: 'its content no longer matches its keyed hash (the row was edited)',
	unkeyed:
		'it carries an unkeyed SHA-256 hash where the chain is keyed (rewritten without the master key)',
	deleted: 'the chain is broken before it (a row was deleted or inserted)',
	head_mismatch: 'the newest rows are missing (deleted after the last verified row)',
	truncated:
		'it is not the exported head given with --expect-head (rows were removed or rewritten)',
	beyond_end: 'the exported head given with --expect-head is past the chain end',
};

/** `ID:HASH`, the form `audit head` prints: a positive id and 64 hex characters. */
export function parseExportedHead(text: string): ExportedHead | undefined {
	const match = /^([1-9]\d{0,14}):([0-9a-fA-F]{64})$/.exec(text.trim());
	if (!match) return undefined;
	return { id: Number(match[1]), hash: match[2]!.toLowerCase() };
}

/**
 * `otobot-vault audit verify [--expect-head ID:HASH]`: exit 0 when the chain holds (and reaches the
 * exported head), 1 naming the first bad row, 2 for a malformed --expect-head. With `--archive
 * FILE` it checks that archive instead (audit-archive-command.ts).
 */
export async function auditVerifyCommand(
	config: Config,
	options: { expectHead?: string; archive?: string } = {},
): Promise<number> {
	if (options.archive !== undefined) return auditVerifyArchiveCommand(config, options.archive);
	const expectHead =
		options.expectHead === undefined ? undefined : parseExportedHead(options.expectHead);
	if (options.expectHead !== undefined && !expectHead) {
		console.error(
			'--expect-head must be ID:HASH as `otobot-vault audit head` prints it (e.g. 42:<64 hex>), ' +
				'ID a row id from 1 (an empty chain has no head to compare)',
		);
		return 2;
	}
	const vault = await openVault(config);
	try {
		const keys = await loadAuditChainKeys(vault.db, vault.masterKey.key);
		const verdict = await verifyAuditChain(vault.db, keys, expectHead);
		const from = verdict.checkpointId ? ` after retention checkpoint ${verdict.checkpointId}` : '';
		if (verdict.ok) {
			console.log(
				`Audit log OK: ${verdict.rows} rows${from}, chain head ${verdict.headId}:${verdict.headHash || '(empty)'}`,
			);
			if (verdict.unkeyedRows > 0) {
				console.log(
					`${verdict.unkeyedRows} of them predate the keyed chain (SHA-256 only, migration 0008): ` +
						'only a head kept outside the database proves they were not rewritten.',
				);
			}
			if (expectHead && !verdict.expectedHeadChecked) {
				console.log(`The exported head ${expectHead.id} was removed by retention: not compared.`);
			} else if (expectHead) {
				console.log(`The exported head ${expectHead.id} is in the chain.`);
			}
			return 0;
		}
		const problem = verdict.problem!;
		if (problem.kind === 'beyond_end') {
			console.error(
				`Audit log TAMPERED: the exported head ${expectHead!.id} is past the chain's end ` +
					`(row ${verdict.headId}): rows after ${verdict.headId} are missing (deleted, with the ` +
					`head moved back). ${verdict.rows} rows verified${from}.`,
			);
			return 1;
		}
		console.error(
			`Audit log TAMPERED at row ${problem.id}: ${PROBLEMS[problem.kind]}. ${verdict.rows} rows verified before it${from}.`,
		);
		return 1;
	} finally {
		await vault.db.close();
	}
}

/** `otobot-vault audit head [--json]`: the chain's newest id and hash, to keep outside the database. */
export async function auditHeadCommand(
	config: Config,
	options: { json?: boolean },
): Promise<number> {
	const vault = await openVault(config);
	try {
		const head = await auditStore(vault.db).readHead();
		const id = head?.last_id ?? 0;
		const hash = head ? Buffer.from(head.last_hash).toString('hex') : '';
		console.log(options.json ? JSON.stringify({ id, hash }) : `${id}:${hash}`);
		return 0;
	} finally {
		await vault.db.close();
	}
}
