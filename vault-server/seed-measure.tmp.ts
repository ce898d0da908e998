import { loadConfig } from './src/config/config.js';
import { openVault } from './src/vault.js';
import { BENCH_SERVICES, seedConnections } from './bench/seed.js';

const opened = await openVault(
	loadConfig({
		NODE_ENV: 'test',
		...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
		VAULT_DATA_DIR: process.env.VAULT_DATA_DIR!,
		ENCRYPTION_MASTER_KEY: process.env.ENCRYPTION_MASTER_KEY!,
	}),
);
await seedConnections(opened.db, opened.keyring, { clients: 10_000, services: BENCH_SERVICES });
await opened.db.close();
console.log('seeded');
