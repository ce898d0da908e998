import type { Config } from '../config/config.js';
import { openVault } from '../vault.js';

/** `otobot-vault migrate`: applies pending migrations (opening the vault does) and names them. */
export async function migrateCommand(config: Config): Promise<number> {
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
}
