import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import postgres from 'postgres';
import { openVault } from '../src/vault.js';
import { loadConfig } from '../src/config/config.js';
import { openPgliteDatabase } from '../src/storage/pglite-database.js';
import { BENCH_SERVICES, seedConnections } from './seed.js';
import { runLoad, startNodeProcess, type LoadResult, type Server } from './processes.js';
import { measureRefresherDrain } from './refresher-drain.js';
import { measureRefresherScale } from './refresher-scale.js';
import { measureRewrapUnderLoad, describeRewrap } from './rewrap-under-load.js';
import { measureMemoryGrowth, describeMemory } from './memory-growth.js';
import { measureBatchVsSingle, describeBatchVsSingle } from './batch-vs-single.js';
import { measureArchiveRate, describeArchiveRate } from './audit-archive-rate.js';
import { measureConsolePages, describeConsole } from './console-pages.js';
import type { PhaseSetup } from './phase-setup.js';
import { refresherScaleLine, renderResults, type RoundResult } from './results.js';

/**
 * `npm run bench`: the vault's credential fetch against a bare lookup+decrypt baseline, side by
 * side on this machine, alternating rounds so drift hits both alike. Loopback only, bounded.
 * --skip-extras: the rounds only; --skip-memory: all but the million-fetch RSS phase;
 * --only refresher-scale,rewrap,memory,batch,archive,console: just those phases (any of them), printed, RESULTS.md
 * left alone.
 */
const USAGE = `Usage: npm run bench -- [options]

Measures the vault's credential fetch against a bare lookup+decrypt baseline, side by side.

  --rounds N         rounds of each server, alternating (default 4)
  --seconds N        seconds per round (default 10)
  --connections N    concurrent connections of the load (default 50)
  --clients N        clients seeded, 3 connections each (default 1000)
  --skip-extras      the rounds only
  --skip-memory      everything but the million-fetch memory phase
  --only LIST        just these phases: refresher-scale,rewrap,memory,batch,archive,console
                     (RESULTS.md untouched)
  --audit-rows N     audit rows of the console phase (default 1000000; 10,000 clients)
  -h, --help         this text`;

let parsed;
try {
	parsed = parseArgs({
		options: {
			help: { type: 'boolean', short: 'h', default: false },
			rounds: { type: 'string', default: '4' },
			seconds: { type: 'string', default: '10' },
			connections: { type: 'string', default: '50' },
			clients: { type: 'string', default: '1000' },
			'skip-extras': { type: 'boolean', default: false },
			'skip-memory': { type: 'boolean', default: false },
			only: { type: 'string' },
			'audit-rows': { type: 'string', default: '1000000' },
		},
	});
} catch (error) {
	process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
	process.exit(2);
}
const args = parsed.values;
if (args.help) {
	process.stdout.write(`${USAGE}\n`);
	process.exit(0);
}
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const connections = Number(args.connections);
const clientCount = Number(args.clients);

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'cli.js');
const BASELINE = join(here, 'baseline-server.js');
const LOAD = join(here, 'load.js');
const RESULTS = join(here, '..', '..', 'bench', 'RESULTS.md');

const masterKey = randomBytes(32).toString('hex');
const token = `bench-${randomBytes(16).toString('hex')}`;
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function createDatabase(name: string): Promise<string> {
	const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
	await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
	await admin.unsafe(`CREATE DATABASE ${name}`);
	await admin.end();
	const url = new URL(adminUrl);
	url.pathname = `/${name}`;
	return url.toString();
}

const services = BENCH_SERVICES.map((service) => service.name);
const load = (server: Server, withToken: boolean, duration = seconds) =>
	runLoad(LOAD, {
		url: server.url,
		token: withToken ? token : undefined,
		seconds: duration,
		connections,
		clients: clientCount,
		services,
	});

function median(values: number[]) {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const vaultEnv = (extra: Record<string, string>) => ({
	NODE_ENV: 'production',
	ENCRYPTION_MASTER_KEY: masterKey,
	INTERNAL_API_TOKEN: token,
	ADMIN_API_TOKEN: `admin-${token}`,
	HOST: '127.0.0.1',
	PORT: '0',
	// a production serve requires it; the benchmark opens no connect link, so the port is not needed
	PUBLIC_URL: 'http://127.0.0.1',
	// the limiter stays on; n8n's token is given a budget the benchmark does not reach
	RATE_LIMIT_MAX: '100000000',
	...extra,
});

const measureScale = () => {
	console.log('Refresher pass time with 10,000 and 1,000,000 connections stored ...');
	return measureRefresherScale({ adminUrl, masterKey, createDatabase });
};
const phaseSetup: PhaseSetup = {
	cli: CLI,
	loadScript: LOAD,
	load: { token, seconds, connections, clients: clientCount, services },
	masterKey,
	vaultEnv,
	createDatabase,
};
if (args.only !== undefined) {
	const phases = ['refresher-scale', 'rewrap', 'memory', 'batch', 'archive', 'console'];
	const only = args.only.split(',');
	if (only.some((phase) => !phases.includes(phase)))
		throw new Error(`--only takes a comma-separated list of ${phases.join(', ')}`);
	if (only.includes('refresher-scale')) console.log(refresherScaleLine(await measureScale()));
	if (only.includes('rewrap'))
		console.log(describeRewrap(await measureRewrapUnderLoad(phaseSetup)));
	if (only.includes('memory')) console.log(describeMemory(await measureMemoryGrowth(phaseSetup)));
	if (only.includes('batch'))
		console.log(describeBatchVsSingle(await measureBatchVsSingle(phaseSetup)));
	if (only.includes('archive'))
		console.log(describeArchiveRate(await measureArchiveRate(phaseSetup)));
	if (only.includes('console')) {
		const shape = { clients: 10_000, auditRows: Number(args['audit-rows']), samples: 300 };
		console.log('Console pages: seeding (a million audit rows take minutes) ...');
		console.log(describeConsole(await measureConsolePages(phaseSetup, shape)));
	}
	process.exit(0);
}

console.log(`Seeding ${clientCount} clients x ${BENCH_SERVICES.length} connections ...`);
const databaseUrl = await createDatabase('otobot_bench');
const seeded = await openVault(
	loadConfig({
		NODE_ENV: 'production',
		DATABASE_URL: databaseUrl,
		ENCRYPTION_MASTER_KEY: masterKey,
	}),
);
await seedConnections(seeded.db, seeded.keyring, {
	clients: clientCount,
	services: BENCH_SERVICES,
});
await seeded.db.close();

// BENCH_PROFILE_DIR=<dir>: the vault writes a V8 CPU profile there when it stops
const profile = process.env.BENCH_PROFILE_DIR
	? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
	: [];
const vault = await startNodeProcess(
	CLI,
	['serve'],
	vaultEnv({ DATABASE_URL: databaseUrl }),
	undefined,
	profile,
);
const baseline = await startNodeProcess(BASELINE, [], {
	DATABASE_URL: databaseUrl,
	ENCRYPTION_MASTER_KEY: masterKey,
	DATABASE_POOL_SIZE: '10',
});
console.log('Warming up ...');
await load(baseline, false, 3);
const vaultWarmUp = await load(vault, true, 3);
const rssWarm = vault.rssMb();

const results: RoundResult[] = [];
for (let round = 1; round <= rounds; round += 1) {
	const order: ['baseline' | 'vault', Server, boolean][] = [
		['baseline', baseline, false],
		['vault', vault, true],
	];
	if (round % 2 === 0) order.reverse();
	const measured: Partial<Record<'baseline' | 'vault', LoadResult>> = {};
	for (const [name, server, withToken] of order) measured[name] = await load(server, withToken);
	const row = { round, baseline: measured.baseline!, vault: measured.vault! };
	results.push(row);
	console.log(
		`round ${round}: baseline ${row.baseline.rps.toFixed(0)} rps p99 ${row.baseline.p99} ms | vault ${row.vault.rps.toFixed(0)} rps p99 ${row.vault.p99} ms | ratio ${(row.vault.rps / row.baseline.rps).toFixed(3)}`,
	);
}
const rssAfter = vault.rssMb();
const metricsText = await (
	await fetch(`${vault.url}/metrics`, { headers: { authorization: `Bearer admin-${token}` } })
).text();
const metricSum = (name: string) =>
	[...metricsText.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'gm'))].reduce(
		(sum, m) => sum + Number(m[1]),
		0,
	);
const auditBatches = {
	count: metricSum('otobot_vault_audit_write_duration_seconds_count'),
	seconds: metricSum('otobot_vault_audit_write_duration_seconds_sum'),
};
const vaultServed = results.reduce((sum, r) => sum + r.vault.total, 0);
// autocannon counts the answers it read: rows of requests cut off at the end may add to the count
const vaultAnswered = vaultWarmUp.total + vaultServed;
const counter = postgres(databaseUrl, { max: 1 });
const auditRows = Number(
	(
		await counter.unsafe(`SELECT count(*) AS n FROM audit_log WHERE action = 'credential.fetch'`)
	)[0]!.n,
);
await counter.end();
await vault.stop();
await baseline.stop();

let pgliteRps: number | undefined;
let drain: Awaited<ReturnType<typeof measureRefresherDrain>> | undefined;
let refresherScale: Awaited<ReturnType<typeof measureRefresherScale>> | undefined;
let rewrap: Awaited<ReturnType<typeof measureRewrapUnderLoad>> | undefined;
let memory: Awaited<ReturnType<typeof measureMemoryGrowth>> | undefined;
let batchVsSingle: Awaited<ReturnType<typeof measureBatchVsSingle>> | undefined;
if (!args['skip-extras']) {
	console.log('Embedded PGlite backend ...');
	const dataDir = mkdtempSync(join(tmpdir(), 'otobot-bench-pglite-'));
	const embedded = await openPgliteDatabase(join(dataDir, 'pglite'));
	const opened = await openVault(
		loadConfig({
			NODE_ENV: 'production',
			VAULT_DATA_DIR: dataDir,
			ENCRYPTION_MASTER_KEY: masterKey,
		}),
		{ db: embedded },
	);
	await seedConnections(embedded, opened.keyring, {
		clients: clientCount,
		services: BENCH_SERVICES,
	});
	await embedded.close();
	const pglite = await startNodeProcess(CLI, ['serve'], vaultEnv({ VAULT_DATA_DIR: dataDir }));
	await load(pglite, true, 3);
	pgliteRps = (await load(pglite, true)).rps;
	await pglite.stop();

	console.log('Refresher draining 10,000 due connections (provider answers in 50 ms) ...');
	drain = await measureRefresherDrain({
		cli: CLI,
		adminUrl,
		masterKey,
		count: 10_000,
		createDatabase,
	});
	refresherScale = await measureScale();

	console.log('Key rewrap of 100,000 ciphertexts while fetches run ...');
	rewrap = await measureRewrapUnderLoad(phaseSetup);
	console.log('1,300 credentials through the batch route and through single fetches ...');
	batchVsSingle = await measureBatchVsSingle(phaseSetup);
	if (!args['skip-memory']) {
		console.log('Vault RSS over a million fetches ...');
		memory = await measureMemoryGrowth(phaseSetup);
	}
}

const ratios = results.map((r) => r.vault.rps / r.baseline.rps);
const p99Ratios = results.map((r) => r.vault.p99 / Math.max(r.baseline.p99, 1));
const commit = (() => {
	try {
		return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
	} catch {
		return 'unknown';
	}
})();
const report = renderResults({
	date: new Date().toISOString(),
	commit,
	machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
	settings: { rounds, seconds, connections, clients: clientCount },
	results,
	medianRatio: median(ratios),
	medianP99Ratio: median(p99Ratios),
	rss: { warm: rssWarm, after: rssAfter, served: vaultServed },
	auditRows,
	vaultAnswered,
	auditBatches,
	pgliteRps,
	drain,
	refresherScale,
	rewrap,
	memory,
	batchVsSingle,
});
writeFileSync(RESULTS, report);
console.log(report);
