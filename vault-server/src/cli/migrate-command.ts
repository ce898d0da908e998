import { openVault } from '../vault.js';
import type { Command } from './commands.js';

export const migrateCommand: Command = async (_args, config) => {
	const vault = await openVault(config);
	try {
		const applied = vault.migrationsApplied;
		if (applied.length === 0) console.log('Database schema is up to date.');
		for (const migration of applied)
			console.log(`applied ${String(migration.version).padStart(4, '0')}_${migration.name}`);
		return 0;
	} finally {
		await vault.db.close();
	}
};
