import { spawn } from 'node:child_process';
import type { KeysStatus } from '../src/domain/key-status.js';
import type { Rotation } from '../src/domain/key-rotation.js';
import type { RewrapTotals } from '../src/domain/rewrap.js';
import { BENCH_SERVICES } from './seed.js';
import { runLoad, type LoadResult } from './processes.js';
import { runCli, seedDatabase, startVault, type PhaseSetup } from './phase-setup.js';

// bounds the phase: a rewrap still running then is interrupted (it stops after its batch)
const REWRAP_LIMIT_SECONDS = 600;

export interface RewrapUnderLoad {
	/** Ciphertexts in the database before the rotation, and the clients holding them. */
	ciphertexts: number;
	clients: number;
	seedSeconds: number;
	fromVersion: number;
	toVersion: number;
	/** What `keys rewrap --json` reported, its exit code and its wall time (start-up included). */
	rewrap: RewrapTotals;
	exitCode: number | null;
	rewrapSeconds: number;
	loadOnly: LoadResult;
	duringRewrap: LoadResult;
	/** Afterwards, from `keys status --json`. */
	onNewVersion: number;
	onOlderVersions: number;
	phaseSeconds: number;
}

// an OAuth2 connection holds a credential and a refresh token, an API-key one a credential
const CIPHERTEXTS_PER_CLIENT = BENCH_SERVICES.reduce(
	(sum, s) => sum + (s.type === 'oauth2' ? 2 : 1),
	0,
);

function rewrapProcess(setup: PhaseSetup, databaseUrl: string) {
	const child = spawn(process.execPath, [setup.cli, 'keys', 'rewrap', '--json'], {
		env: { PATH: process.env.PATH ?? '', ...setup.vaultEnv({ DATABASE_URL: databaseUrl }) },
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const started = performance.now();
	const limit = setTimeout(() => child.kill('SIGTERM'), REWRAP_LIMIT_SECONDS * 1000);
	let output = '';
	child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
	return new Promise<{ totals: RewrapTotals; exitCode: number | null; seconds: number }>(
		(resolve, reject) => {
			child.once('error', reject);
			child.once('exit', (exitCode) => {
				clearTimeout(limit);
				const seconds = (performance.now() - started) / 1000;
				const last = output.trim().split('\n').pop() ?? '';
				try {
					resolve({ totals: JSON.parse(last) as RewrapTotals, exitCode, seconds });
				} catch {
					reject(new Error(`keys rewrap exited ${exitCode} without its totals:\n${output}`));
				}
			});
		},
	);
}

const keysStatus = async (setup: PhaseSetup, databaseUrl: string) =>
	JSON.parse(await runCli(setup, databaseUrl, ['keys', 'status', '--json'])) as KeysStatus;

/**
 * `keys rewrap` of `ciphertexts` ciphertexts in its own process while the vault serves the main
 * rounds' fetch load: its rate, and the fetch p99 during it next to a load-only round just before.
 */
export async function measureRewrapUnderLoad(
	setup: PhaseSetup,
	ciphertexts = 100_000,
): Promise<RewrapUnderLoad> {
	const phaseStarted = performance.now();
	const clients = Math.max(Math.ceil(ciphertexts / CIPHERTEXTS_PER_CLIENT), setup.load.clients);
	console.log(`  seeding ${clients} clients x ${BENCH_SERVICES.length} connections ...`);
	const { url, seedSeconds } = await seedDatabase(setup, 'otobot_bench_rewrap', clients);
	const before = await keysStatus(setup, url);
	const seeded = before.keys.reduce((sum, key) => sum + key.ciphertexts, 0);
	console.log(
		`  ${seeded} ciphertexts seeded in ${seedSeconds.toFixed(1)} s; rotating the data key ...`,
	);

	const vault = await startVault(setup, url);
	try {
		const rotation = JSON.parse(await runCli(setup, url, ['keys', 'rotate', '--json'])) as Rotation;
		const load = (seconds: number, signal?: AbortSignal) =>
			runLoad(setup.loadScript, { ...setup.load, url: vault.url, seconds }, signal);
		await load(3);
		const loadOnly = await load(setup.load.seconds);
		console.log(
			`  load only: ${loadOnly.rps.toFixed(0)} rps p99 ${loadOnly.p99} ms; now with keys rewrap ...`,
		);

		const stopLoad = new AbortController();
		const during = load(REWRAP_LIMIT_SECONDS, stopLoad.signal);
		const rewrap = await rewrapProcess(setup, url).finally(() => stopLoad.abort());
		const duringRewrap = await during;
		const after = await keysStatus(setup, url);
		return {
			ciphertexts: seeded,
			clients,
			seedSeconds,
			fromVersion: rotation.previous ?? 0,
			toVersion: rotation.version,
			rewrap: rewrap.totals,
			exitCode: rewrap.exitCode,
			rewrapSeconds: rewrap.seconds,
			loadOnly,
			duringRewrap,
			onNewVersion: after.keys.find((key) => key.version === rotation.version)?.ciphertexts ?? 0,
			onOlderVersions: after.not_on_active,
			phaseSeconds: (performance.now() - phaseStarted) / 1000,
		};
	} finally {
		await vault.stop();
	}
}

/** The RESULTS.md line of the phase. */
export function describeRewrap(r: RewrapUnderLoad): string {
	const fetchErrors = r.loadOnly.errors + r.duringRewrap.errors;
	const verified =
		r.exitCode === 0 &&
		r.onOlderVersions === 0 &&
		r.onNewVersion === r.ciphertexts &&
		fetchErrors === 0
			? `verified: all ${r.onNewVersion} ciphertexts on version ${r.toVersion} afterwards, 0 fetch errors`
			: `NOT verified: rewrap exit ${r.exitCode}, ${r.onNewVersion} ciphertexts on version ${r.toVersion} and ${r.onOlderVersions} on older ones afterwards, ${fetchErrors} fetch errors`;
	return (
		`- Key rewrap while fetches run: ${r.rewrap.ciphertexts} ciphertexts (${r.rewrap.rewrapped} connections of ${r.clients} clients) moved from key version ${r.fromVersion} to ${r.toVersion} in ${r.rewrapSeconds.toFixed(1)} s = ` +
		`**${(r.rewrap.ciphertexts / r.rewrapSeconds).toFixed(0)} ciphertexts/s** (\`keys rewrap\`, default batch, own process, start-up included); ` +
		`fetch p99 during it ${r.duringRewrap.p99} ms at ${r.duringRewrap.rps.toFixed(0)} rps (${r.duringRewrap.total} fetches), ` +
		`load only just before ${r.loadOnly.p99} ms at ${r.loadOnly.rps.toFixed(0)} rps; ${verified} ` +
		`(${r.ciphertexts} ciphertexts seeded through the keyring in ${r.seedSeconds.toFixed(1)} s; phase ${r.phaseSeconds.toFixed(0)} s)`
	);
}
