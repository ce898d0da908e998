import type { Config } from '../config/config.js';
import {
	DEMO_CLIENT_ID,
	DEMO_SERVICE_NAMES,
	insertDemoData,
	removeDemoData,
} from '../domain/demo-data.js';
import { openVault } from '../vault.js';

/** `test-connections --insert-test-data` (idempotent) and `--remove-test-data`. */
export async function demoDataCommand(
	action: 'insert' | 'remove',
	config: Config,
): Promise<number> {
	const vault = await openVault(config);
	try {
		if (action === 'remove') {
			const removed = await removeDemoData(vault.db);
			console.log(
				removed.length === 0
					? 'No test data to remove.'
					: removed.map((what) => `removed ${what}`).join('\n'),
			);
			return 0;
		}
		const report = await insertDemoData(vault.db, vault.keyring);
		for (const what of report.created) console.log(`created ${what}`);
		for (const what of report.existing) console.log(`already there: ${what}`);
		console.log(
			report.created.length === 0
				? 'Test data already present; nothing changed.'
				: `Inserted ${report.created.length} test item(s).`,
		);
		console.log(
			[
				'',
				`This is TEST DATA (client '${DEMO_CLIENT_ID}', services ${DEMO_SERVICE_NAMES.join(', ')}). To remove it:`,
				'  node test-connections.js --remove-test-data        (or: otobot-vault test-connections --remove-test-data)',
				'or through the API with an admin token:',
				`  curl -X DELETE ${config.apiUrl}/v1/clients/${DEMO_CLIENT_ID} -H "Authorization: Bearer $ADMIN_TOKEN"`,
				...DEMO_SERVICE_NAMES.map(
					(name) =>
						`  curl -X DELETE ${config.apiUrl}/v1/services/${name} -H "Authorization: Bearer $ADMIN_TOKEN"`,
				),
			].join('\n'),
		);
		return 0;
	} finally {
		await vault.db.close();
	}
}
