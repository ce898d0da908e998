import type { Config } from '../config/config.js';
import { DatabaseLocked, openDatabase } from '../storage/open-database.js';
import { localApiUrl } from '../running-vault.js';
import { AuditWriter } from '../domain/audit-writer.js';
import type { Keyring } from '../crypto/keyring.js';
import { checkApiHealth, type CheckResult } from '../domain/diagnostics/system-checks.js';
import { runDiagnostics } from '../domain/diagnostics/run-diagnostics.js';
import { COLOURS, PLAIN, type Paint } from './monitor-table.js';
import { vaultApiInstead, type VaultApi } from './vault-api.js';

type Report = (result: CheckResult) => void;

const colourOf = (paint: Paint, status: CheckResult['status']) =>
	status === 'OK' ? paint.green : status === 'FAILED' ? paint.red : paint.yellow;

/**
 * `otobot-vault test-connections`: the database, the migrations, the master key, the API's
 * health, then each connection's liveness, one line each. When a running `serve` holds the
 * embedded database, that server runs the checks (POST /v1/diagnostics/connection-tests).
 * Resolves with the exit status: 1 if anything FAILED, else 0.
 */
export async function testConnectionsCommand(config: Config): Promise<number> {
	const paint = process.stdout.isTTY && !process.env.NO_COLOR ? COLOURS : PLAIN;
	let failed = 0;
	const report: Report = (result) => {
		if (result.status === 'FAILED') failed += 1;
		console.log(
			`${colourOf(paint, result.status)(result.status.padEnd(11))} ${result.name.padEnd(40)} ${result.detail}`,
		);
	};
	const connections = await checkEverything(config, report);
	if (connections === 0) console.log('No connections to test.');
	console.log(
		failed === 0 ? paint.green('\nAll checks passed.') : paint.red(`\n${failed} check(s) FAILED.`),
	);
	return failed === 0 ? 0 : 1;
}

/** Runs the checks here, or in the running vault; resolves with how many connections it tested. */
async function checkEverything(config: Config, report: Report): Promise<number | null> {
	let db;
	try {
		db = await openDatabase(config);
	} catch (error) {
		if (!(error instanceof DatabaseLocked)) {
			report({
				name: 'database',
				status: 'FAILED',
				detail: error instanceof Error ? error.message : String(error),
			});
			report(await checkApiHealth(localApiUrl(config)));
			return null;
		}
		// without an admin token at hand this throws what to do, in one line
		const api: VaultApi = vaultApiInstead(config, error);
		console.log(`The running vault holds the database; asking it at ${api.url}.`);
		const answer = await api.request<{ checks: CheckResult[]; connections: number | null }>(
			'POST',
			'/v1/diagnostics/connection-tests',
			{},
		);
		answer.checks.forEach(report);
		return answer.connections;
	}
	// the audit rows are chained with the key of the keyring the checks open
	let audit: AuditWriter | undefined;
	const auditFor = (keyring: Keyring) => (audit = new AuditWriter(db, keyring));
	try {
		return (await runDiagnostics({ db, config, auditFor, selfUrl: localApiUrl(config) }, report))
			.connections;
	} finally {
		await audit?.drain();
		await db.close();
	}
}
