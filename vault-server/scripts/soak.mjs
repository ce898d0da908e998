#!/usr/bin/env node
// Soak test: a real `otobot-vault serve` on loopback and PostgreSQL under steady credential fetches
// for --minutes (default 10), with background refreshes against the test provider and a
// `keys rotate` + `keys rewrap` in the middle. Prints memory, errors and p99 latency per minute as
// Markdown for docs/RELIABILITY.md. Bounded: it stops by itself and drops its database.
//
//   npm run build -w vault-server
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node vault-server/scripts/soak.mjs --minutes 3
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { rssMb, runCli, startProvider, startVault } from './lib/processes.mjs';
import { call, seed } from './lib/soak-seed.mjs';
import { metric, refreshesSince, report } from './lib/soak-report.mjs';

const { values: args } = parseArgs({
	options: {
		minutes: { type: 'string', default: '10' },
		rate: { type: 'string', default: '200' },
		connections: { type: 'string', default: '10' },
		clients: { type: 'string', default: '100' },
		'database-url': { type: 'string', default: process.env.TEST_DATABASE_URL },
	},
});
const minutes = Number(args.minutes);
const rate = Number(args.rate);
const clients = Number(args.clients);
const adminUrl = args['database-url'];
if (!adminUrl)
	throw new Error(
		'--database-url (or TEST_DATABASE_URL) is required: an admin URL of a PostgreSQL server',
	);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(adminUrl).hostname)) {
	throw new Error('the soak runs on loopback only: the PostgreSQL URL must point at 127.0.0.1');
}

const hardStop = setTimeout(
	() => {
		console.error('soak: time bound exceeded, stopping');
		cleanup().finally(() => process.exit(2));
	},
	(minutes + 3) * 60_000,
);

const dbName = `otobot_soak_${randomBytes(4).toString('hex')}`;
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
const dataDir = mkdtempSync(join(tmpdir(), 'otobot-soak-'));
const running = [];
async function cleanup() {
	for (const process of running.reverse()) await process.stop().catch(() => {});
	await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
	await admin.end();
	rmSync(dataDir, { recursive: true, force: true });
}

const secret = () => randomBytes(24).toString('hex');
const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();
const env = {
	NODE_ENV: 'production',
	DATABASE_URL: databaseUrl,
	ENCRYPTION_MASTER_KEY: randomBytes(32).toString('hex'),
	ADMIN_API_TOKEN: secret(),
	INTERNAL_API_TOKEN: secret(),
	VAULT_DATA_DIR: dataDir,
	ALLOW_INSECURE_OAUTH_URLS: 'true',
	// the local provider is on 127.0.0.1, which production refuses by default
	PROVIDER_PRIVATE_ADDRESSES: 'allow',
	RATE_LIMIT_MAX: '100000000',
	REFRESHER_INTERVAL_SECONDS: '5',
	REFRESH_SKEW_SECONDS: '60',
	KEYRING_RELOAD_SECONDS: '5',
	LOG_LEVEL: 'warn',
};

function loadMinute(vault) {
	const requests = [];
	for (let i = 0; i < clients; i += 1) {
		const id = `soak-${String(i).padStart(4, '0')}`;
		requests.push(
			{ path: `/v1/credentials/${id}/soak-crm` },
			{ path: `/v1/credentials/${id}/soak-key` },
		);
	}
	return autocannon({
		url: vault.url,
		connections: Number(args.connections),
		overallRate: rate,
		duration: 60,
		headers: { authorization: `Bearer ${env.INTERNAL_API_TOKEN}` },
		requests,
	});
}

async function main() {
	const started = Date.now();
	await admin.unsafe(`CREATE DATABASE ${dbName}`);
	const provider = await startProvider();
	running.push(provider);
	await provider.control({ acceptAnyRefreshToken: true, expiresIn: 90 });
	const vault = await startVault(env);
	running.push(vault);
	await seed(vault, provider, { clients, adminToken: env.ADMIN_API_TOKEN });
	const rows = [];
	const keyEvents = [];
	const middle = Math.floor(minutes / 2);
	const totals = { refreshed: 0, failed: 0 };
	for (let minute = 1; minute <= minutes; minute += 1) {
		const samples = [];
		const sampler = setInterval(() => samples.push(rssMb(vault.child.pid)), 5000);
		let keys = Promise.resolve();
		if (minute === middle + 1) {
			// while the load runs: a new data key, then every ciphertext rewrapped under it
			keys = (async () => {
				await new Promise((resolve) => setTimeout(resolve, 10_000));
				for (const command of [
					['keys', 'rotate'],
					['keys', 'rewrap', '--batch', '50'],
				]) {
					const at = ((Date.now() - started) / 60_000).toFixed(1);
					const result = await runCli(command, env);
					keyEvents.push({
						command: command.join(' '),
						at,
						code: result.code,
						output: result.output.trim().split('\n').at(-1),
					});
				}
			})();
		}
		const result = await loadMinute(vault);
		await keys;
		clearInterval(sampler);
		const metrics = await call(vault, 'GET', '/metrics', undefined, env.ADMIN_API_TOKEN);
		rows.push({
			minute,
			requests: result.requests.total,
			errors: result.errors + result.timeouts + result.non2xx,
			p50: result.latency.p50,
			p99: result.latency.p99,
			rssMax: Math.max(...samples, rssMb(vault.child.pid)),
			heap: metric(metrics, 'otobot_vault_nodejs_heap_size_used_bytes') / 2 ** 20,
			...refreshesSince(totals, metrics),
		});
		const row = rows.at(-1);
		console.error(
			`minute ${minute}: ${row.requests} requests, ${row.errors} errors, p99 ${row.p99} ms, RSS ${row.rssMax.toFixed(0)} MB`,
		);
	}
	const status = await runCli(['keys', 'status'], env);
	const audit = await runCli(['audit', 'verify'], env);
	const providerStats = await provider.stats().catch(() => ({ grants: {}, unreachable: true }));
	report(
		{ rows, keyEvents, status, audit, providerStats },
		{ minutes, rate, connections: args.connections, clients },
	);
	return (
		rows.every((row) => row.errors === 0) &&
		audit.code === 0 &&
		keyEvents.every((e) => e.code === 0)
	);
}

main()
	.then(async (ok) => {
		clearTimeout(hardStop);
		await cleanup();
		process.exit(ok ? 0 : 1);
	})
	.catch(async (error) => {
		console.error(error);
		await cleanup();
		process.exit(1);
	});
