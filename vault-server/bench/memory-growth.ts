import { readFileSync } from 'node:fs';
import { runLoad } from './processes.js';
import { seedDatabase, startVault, type PhaseSetup } from './phase-setup.js';

// RSS after the whole run may be at most this many times RSS after the first fetches
const GROWTH_LIMIT = 1.2;

export interface MemoryGrowth {
	first: number;
	total: number;
	/** Vault RSS in MB, as the process reports it (no forced GC): after `first`, after `total`. */
	rssFirst: number;
	rssTotal: number;
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
	try {
		const load = (amount: number) =>
			runLoad(setup.loadScript, { ...setup.load, url: vault.url, amount });
		const start = await load(first);
		const rssFirst = vault.rssMb();
		console.log(`  RSS ${rssFirst} MB after ${start.total} fetches; ${total - first} more ...`);
		const loadStarted = performance.now();
		const rest = await load(total - first);
		const loadSeconds = (performance.now() - loadStarted) / 1000;
		const rssTotal = vault.rssMb();
		const ratio = rssTotal / rssFirst;
		return {
			first,
			total,
			rssFirst,
			rssTotal,
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
		`- Vault RSS, fresh process: ${m.rssFirst} MB after its first ${m.first} fetches, ${m.rssTotal} MB after ${m.served} in all (peak ${m.rssPeak} MB): ` +
		`**${m.ratio.toFixed(2)} x, ${m.pass ? 'pass' : 'FAIL'}** (target <= ${GROWTH_LIMIT}; no forced GC; ` +
		`${m.rps.toFixed(0)} fetches/s, ${m.errors} errors; phase ${(m.phaseSeconds / 60).toFixed(1)} min)`
	);
}
