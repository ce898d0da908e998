import { openVault } from '../vault.js';
import { verifyAuditChain } from '../domain/audit-chain.js';
import type { Config } from '../config/config.js';

const PROBLEMS = {
	edited: 'its content no longer matches its hash (the row was edited)',
	deleted: 'the chain is broken before it (a row was deleted or inserted)',
	head_mismatch: 'the newest rows are missing (deleted after the last verified row)',
};

/** `otobot-vault audit verify`: exit 0 when the chain holds, 1 naming the first tampered row. */
export async function auditVerifyCommand(config: Config): Promise<number> {
	const vault = await openVault(config);
	try {
		const verdict = await verifyAuditChain(vault.db);
		if (verdict.ok) {
			console.log(
				`Audit log OK: ${verdict.rows} rows, chain head ${verdict.headHash || '(empty)'}`,
			);
			return 0;
		}
		const problem = verdict.problem!;
		console.error(
			`Audit log TAMPERED at row ${problem.id}: ${PROBLEMS[problem.kind]}. ${verdict.rows} rows verified before it.`,
		);
		return 1;
	} finally {
		await vault.db.close();
	}
}
