import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openVault } from '../src/vault.js';
import { loadConfig } from '../src/config/config.js';
import { createService } from '../src/domain/services.js';
import { seedConnections } from './seed.js';
import { startNodeProcess } from './processes.js';

const PROVIDER = join(
	dirname(fileURLToPath(import.meta.url)),
	'..',
	'..',
	'test',
	'provider',
	'test-provider.mjs',
);

/** The test OAuth2 provider as a child process, set up with `control` (see its /_control). */
export async function startProvider(control: Record<string, unknown>) {
	const child = spawn(process.execPath, [PROVIDER], { stdio: ['ignore', 'pipe', 'inherit'] });
	const line = await new Promise<string>((resolve) =>
		createInterface({ input: child.stdout }).once('line', resolve),
	);
	const base = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
	await fetch(`${base}/_control`, { method: 'POST', body: JSON.stringify(control) });
	return { child, base };
}

/** How fast `otobot-vault refresher` (default concurrency) renews `count` due connections. */
export async function measureRefresherDrain(options: {
	cli: string;
	adminUrl: string;
	masterKey: string;
	count: number;
	createDatabase(name: string): Promise<string>;
}) {
	const provider = await startProvider({ mode: 'slow', delayMs: 50, acceptAnyRefreshToken: true });
	const databaseUrl = await options.createDatabase('otobot_bench_refresh');
	const vault = await openVault(
		loadConfig({
			NODE_ENV: 'production',
			DATABASE_URL: databaseUrl,
			ENCRYPTION_MASTER_KEY: options.masterKey,
		}),
	);
	await createService(
		vault.db,
		vault.keyring,
		'bench-crm',
		{
			display_name: 'Bench CRM',
			oauth_token_url: `${provider.base}/token`,
			oauth_client_id: 'vault-app',
			oauth_client_secret: 'vault-app-secret',
		},
		{ allowInsecureUrls: true },
	);
	// tokens expiring in 60 s are due at once (10 minutes of lead)
	await seedConnections(
		vault.db,
		vault.keyring,
		{ clients: options.count, services: [{ name: 'bench-crm', type: 'oauth2' }] },
		60,
	);
	const due = async () =>
		(
			await vault.db.query<{ n: number }>(
				'SELECT count(*)::int AS n FROM connections WHERE next_refresh_at <= now()',
			)
		)[0]!.n;
	const started = Date.now();
	const refresher = await startNodeProcess(
		options.cli,
		['refresher'],
		{
			DATABASE_URL: databaseUrl,
			ENCRYPTION_MASTER_KEY: options.masterKey,
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			// the local provider is on 127.0.0.1, which production refuses by default
			PROVIDER_PRIVATE_ADDRESSES: 'allow',
			REFRESHER_INTERVAL_SECONDS: '1',
			LOG_LEVEL: 'info',
		},
		/refresher (started)/,
	);
	while ((await due()) > 0 && Date.now() - started < 600_000)
		await new Promise((resolve) => setTimeout(resolve, 250));
	const seconds = (Date.now() - started) / 1000;
	const stats = (await (await fetch(`${provider.base}/_stats`)).json()) as { tokenCalls: number };
	await refresher.stop();
	provider.child.kill('SIGTERM');
	await vault.db.close();
	return {
		connections: options.count,
		seconds,
		perSecond: options.count / seconds,
		concurrency: 4,
		providerCalls: stats.tokenCalls,
	};
}
