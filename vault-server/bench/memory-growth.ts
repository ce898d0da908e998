import { readFileSync } from 'node:fs';
import { runLoad } from './processes.js';
import { seedDatabase, startVault, type PhaseSetup } from './phase-setup.js';

// RSS after the whole run may be at most this many times RSS after the first fetches
const GROWTH_LIMIT = 1.2;
// Under load the RSS is a sawtooth set by V8's generation sizes, not by what the vault keeps: 160
// to 215 MB at 16,000 fetches/s, one garbage collection apart, while heap used after a full
// collection stays at 31 MB over a million fetches (measured with --expose-gc). So each figure is
// read once the load has stopped and the process has idled long enough for V8's memory reducer
// to release its garbage on its own (about 30 s here); nothing forces a collection, and memory
// the vault keeps (a leak) stays in the figure.
const IDLE_BEFORE_READING_MS = 45_000;

const idle = () => new Promise((resolve) => setTimeout(resolve, IDLE_BEFORE_READING_MS));

export interface MemoryGrowth {
	first: number;
	total: number;
	/** Vault RSS in MB, as the process reports it (no forced GC): after `first`, after `total`. */
	rssFirst: number;
	rssTotal: number;
	/** V8 heap in use (MB) read with each RSS figure, after the same idle wait. */
	heapFirst: number;
	heapTotal: number;
	/** RSS the moment the million-fetch load stopped, before the idle wait. */
	rssUnderLoad: number;
	/** The highest RSS the vault had during the run (VmHWM). */
	rssPeak: number;
	ratio: number;
	pass: boolean;
	served: number;
	errors: number;
	/** Throughput and time of the long run, and of the whole phase. */
	rps: number;
	loadSeconds: number;
	phaseSeconds: number;
}

/**
 * The vault's V8 heap in use (MB), from its own /metrics (prom-client's nodejs_heap_size_used_bytes):
 * what the vault keeps plus garbage not yet collected. Growth here with RSS is a leak; RSS that
 * grows while this does not is V8 keeping pages it may reuse.
 */
async function heapUsedMb(url: string, adminToken: string): Promise<number> {
	const answer = await fetch(`${url}/metrics`, {
		headers: { authorization: `Bearer ${adminToken}` },
	});
	const text = await answer.text();
	const bytes = Number(/^otobot_vault_nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1] ?? NaN);
	return Math.round(bytes / 104857.6) / 10;
}

function peakRssOf(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
	return Math.round(kb / 102.4) / 10;
}

/**
 * A fresh vault's RSS after its first `first` fetches and after `total` fetches in all, the main
 * rounds' load driven by request count: a leak grows the second figure; a steady state does not.
 */
export async function measureMemoryGrowth(
	setup: PhaseSetup,
	first = 10_000,
	total = 1_000_000,
): Promise<MemoryGrowth> {
	const phaseStarted = performance.now();
	const { url } = await seedDatabase(setup, 'otobot_bench_memory', setup.load.clients);
	const vault = await startVault(setup, url);
	const adminToken = setup.vaultEnv({}).ADMIN_API_TOKEN!;
	try {
		const load = (amount: number) =>
			runLoad(setup.loadScript, { ...setup.load, url: vault.url, amount });
		const start = await load(first);
		await idle();
		const rssFirst = vault.rssMb();
		const heapFirst = await heapUsedMb(vault.url, adminToken);
		console.log(`  RSS ${rssFirst} MB after ${start.total} fetches; ${total - first} more ...`);
		const loadStarted = performance.now();
		const rest = await load(total - first);
		const loadSeconds = (performance.now() - loadStarted) / 1000;
		const rssUnderLoad = vault.rssMb();
		await idle();
		const rssTotal = vault.rssMb();
		const heapTotal = await heapUsedMb(vault.url, adminToken);
		const ratio = rssTotal / rssFirst;
		return {
			first,
			total,
			rssFirst,
			rssTotal,
			heapFirst,
			heapTotal,
			rssUnderLoad,
			rssPeak: peakRssOf(vault.child.pid!),
			ratio,
			pass: ratio <= GROWTH_LIMIT,
			served: start.total + rest.total,
			errors: start.errors + rest.errors,
			rps: rest.rps,
			loadSeconds,
			phaseSeconds: (performance.now() - phaseStarted) / 1000,
		};
	} finally {
		await vault.stop();
	}
}

/** The RESULTS.md line of the phase. */
export function describeMemory(m: MemoryGrowth): string {
	return (
		`- Vault RSS, fresh process: ${m.rssFirst} MB after its first ${m.first} fetches, ${m.rssTotal} MB after ${m.served} in all (${m.rssUnderLoad} MB as the load stopped, peak ${m.rssPeak} MB; V8 heap in use ${m.heapFirst} then ${m.heapTotal} MB): ` +
		`**${m.ratio.toFixed(2)} x, ${m.pass ? 'pass' : 'FAIL'}** (target <= ${GROWTH_LIMIT}; each read after ${IDLE_BEFORE_READING_MS / 1000} s idle, no forced GC; ` +
		`${m.rps.toFixed(0)} fetches/s, ${m.errors} errors; phase ${(m.phaseSeconds / 60).toFixed(1)} min)`
	);
}
