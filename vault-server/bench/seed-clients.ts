/**
 * Fills the vault the environment names (DATABASE_URL, else the embedded database in
 * VAULT_DATA_DIR; ENCRYPTION_MASTER_KEY) with the benchmark's data set: N clients (default 10,000)
 * × the 3 bench services, sealed through the keyring. The README's backup timings were measured
 * on it:
 *
 *   npx vite-node bench/seed-clients.ts -- 10000
 */
import { loadConfig } from '../src/config/config.js';
import { openVault } from '../src/vault.js';
import { BENCH_SERVICES, seedConnections } from './seed.js';

const clients = Number(process.argv.at(-1));
const opened = await openVault(
	loadConfig({
		NODE_ENV: 'test',
		...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
		...(process.env.VAULT_DATA_DIR ? { VAULT_DATA_DIR: process.env.VAULT_DATA_DIR } : {}),
		...(process.env.ENCRYPTION_MASTER_KEY
			? { ENCRYPTION_MASTER_KEY: process.env.ENCRYPTION_MASTER_KEY }
			: {}),
	}),
);
try {
	const count = Number.isInteger(clients) && clients > 0 ? clients : 10_000;
	await seedConnections(opened.db, opened.keyring, { clients: count, services: BENCH_SERVICES });
	console.log(`seeded ${count} clients x ${BENCH_SERVICES.length} services`);
} finally {
	await opened.db.close();
}
