import { join } from 'node:path';
import type { Config } from '../config/config.js';
import {
	DEMO_CLIENT_ID,
	DEMO_SERVICE_NAMES,
	insertDemoData,
	removeDemoData,
	type DemoDataReport,
} from '../domain/demo-data.js';
import { openVault } from '../vault.js';
import { localApiUrl } from '../running-vault.js';
import { vaultApiInstead } from './vault-api.js';

/** The demo data's change, here or, when a running `serve` holds the embedded database, there. */
async function change<T>(
	config: Config,
	local: (vault: Awaited<ReturnType<typeof openVault>>) => Promise<T>,
	method: 'PUT' | 'DELETE',
): Promise<T> {
	let vault;
	try {
		vault = await openVault(config);
	} catch (error) {
		const api = vaultApiInstead(config, error);
		return api.request<T>(method, '/v1/diagnostics/test-data', method === 'PUT' ? {} : undefined);
	}
	try {
		return await local(vault);
	} finally {
		await vault.db.close();
	}
}

/** `test-connections --remove-test-data`: deletes the demo client, its connections and services. */
export async function removeDemoDataCommand(config: Config): Promise<number> {
	const { removed } = await change(
		config,
		async (vault) => ({ removed: await removeDemoData(vault.db) }),
		'DELETE',
	);
	console.log(
		removed.length === 0
			? 'No test data to remove.'
			: removed.map((what) => `removed ${what}`).join('\n'),
	);
	return 0;
}

/** `test-connections --insert-test-data`: adds what is missing of the demo data (idempotent). */
export async function insertDemoDataCommand(config: Config): Promise<number> {
	const report = await change<DemoDataReport>(
		config,
		(vault) => insertDemoData(vault.db, vault.keyring, localApiUrl(config)),
		'PUT',
	);
	// an older vault answers without `updated`
	const updated = report.updated ?? [];
	for (const what of report.created) console.log(`created ${what}`);
	for (const what of updated) console.log(`updated ${what}`);
	for (const what of report.existing) console.log(`already there: ${what}`);
	console.log(
		report.created.length > 0
			? `Inserted ${report.created.length} test item(s).`
			: updated.length > 0
				? `Test data already present; pointed ${updated.length} test_url(s) at this vault.`
				: 'Test data already present; nothing changed.',
	);
	console.log(
		[
			'',
			`This is TEST DATA (client '${DEMO_CLIENT_ID}', services ${DEMO_SERVICE_NAMES.join(', ')}).`,
			"Their checks ask the running vault's own /health, wherever it listens: `node test-connections.js` checks them offline.",
			'To remove it:',
			'  node test-connections.js --remove-test-data     (or: npm run vault -- test-connections --remove-test-data)',
			'or through the API with an admin token (ADMIN_API_TOKEN, or the file the first start wrote):',
			`  ADMIN_TOKEN="$(cat ${join(config.dataDir, 'admin-token')})"`,
			`  curl -X DELETE ${config.apiUrl}/v1/diagnostics/test-data -H "Authorization: Bearer $ADMIN_TOKEN"`,
		].join('\n'),
	);
	return 0;
}
