import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openVault } from '../src/vault.js';
import { loadConfig } from '../src/config/config.js';
import { BENCH_SERVICES, seedConnections } from './seed.js';
import { startNodeProcess, type Server } from './processes.js';
import type { LoadOptions } from './load.js';

/** What the rewrap and memory phases take from `run.ts`, so they run as its rounds do. */
export interface PhaseSetup {
	cli: string;
	loadScript: string;
	/** The main rounds' load: same token, connections, clients and services. */
	load: Omit<LoadOptions, 'url' | 'amount'>;
	masterKey: string;
	vaultEnv(extra: Record<string, string>): Record<string, string>;
	createDatabase(name: string): Promise<string>;
}

/**
 * A new database holding `clients` clients x the bench services, sealed through the keyring (the
 * vault must be able to open them), in the seed's multi-row inserts; and how long that took.
 */
export async function seedDatabase(setup: PhaseSetup, name: string, clients: number) {
	const url = await setup.createDatabase(name);
	const started = performance.now();
	const opened = await openVault(
		loadConfig({
			NODE_ENV: 'production',
			DATABASE_URL: url,
			ENCRYPTION_MASTER_KEY: setup.masterKey,
		}),
	);
	try {
		await seedConnections(opened.db, opened.keyring, { clients, services: BENCH_SERVICES });
	} finally {
		await opened.db.close();
	}
	return { url, seedSeconds: (performance.now() - started) / 1000 };
}

/** `otobot-vault serve` on `databaseUrl`, with the settings of the main rounds. */
export const startVault = (setup: PhaseSetup, databaseUrl: string): Promise<Server> =>
	startNodeProcess(setup.cli, ['serve'], setup.vaultEnv({ DATABASE_URL: databaseUrl }));

const execFileAsync = promisify(execFile);

/** Runs one `otobot-vault` command to its end and returns what it printed on stdout. */
export async function runCli(setup: PhaseSetup, databaseUrl: string, args: string[]) {
	const { stdout } = await execFileAsync(process.execPath, [setup.cli, ...args], {
		env: { PATH: process.env.PATH ?? '', ...setup.vaultEnv({ DATABASE_URL: databaseUrl }) },
	});
	return stdout;
}
