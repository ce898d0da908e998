import type { LoadResult } from './processes.js';
import type { RefresherScale } from './refresher-scale.js';
import { describeRewrap, type RewrapUnderLoad } from './rewrap-under-load.js';
import { describeMemory, type MemoryGrowth } from './memory-growth.js';
import { describeBatchVsSingle, type BatchVsSingle } from './batch-vs-single.js';

export interface RoundResult {
	round: number;
	baseline: LoadResult;
	vault: LoadResult;
}

export interface BenchReport {
	date: string;
	commit: string;
	machine: string;
	settings: { rounds: number; seconds: number; connections: number; clients: number };
	results: RoundResult[];
	medianRatio: number;
	medianP99Ratio: number;
	rss: { warm: number; after: number; served: number };
	auditRows: number;
	/** Fetches the load generator got an answer to, warm-up included. */
	vaultAnswered: number;
	auditBatches: { count: number; seconds: number };
	pgliteRps?: number;
	drain?: {
		connections: number;
		seconds: number;
		perSecond: number;
		concurrency: number;
		providerCalls: number;
	};
	refresherScale?: RefresherScale;
	rewrap?: RewrapUnderLoad;
	memory?: MemoryGrowth;
	batchVsSingle?: BatchVsSingle;
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);

/** The refresher's time per pass at the smallest and the largest table, side by side. */
export function refresherScaleLine({ due, passes, sizes }: RefresherScale): string {
	const [small, large] = [sizes[0]!, sizes[sizes.length - 1]!];
	const stored = (size: { stored: number }) => size.stored.toLocaleString('en');
	return `- Refresher time per pass, ${due} due: ${fixed(small.msPerPass)} ms with ${stored(small)} connections stored, ${fixed(large.msPerPass)} ms with ${stored(large)} (ratio ${fixed(large.msPerPass / small.msPerPass, 2)}; median of ${passes} passes each, provider answering at once)`;
}

/** bench/RESULTS.md: the figures of one run, with how to reproduce them. */
export function renderResults(report: BenchReport): string {
	const rows = report.results.map(
		({ round, baseline, vault }) =>
			`| ${round} | ${fixed(baseline.rps)} | ${baseline.p50} / ${baseline.p99} | ${fixed(vault.rps)} | ${vault.p50} / ${vault.p99} | ${baseline.errors + vault.errors} | ${fixed(vault.rps / baseline.rps, 3)} |`,
	);
	const lines = [
		'# Benchmark results',
		'',
		`Measured ${report.date} at commit ${report.commit} on ${report.machine}, with \`npm run bench\``,
		`(${report.settings.rounds} rounds of ${report.settings.seconds} s, ${report.settings.connections} connections, ${report.settings.clients} clients x 3 connections, PostgreSQL on loopback).`,
		'Baseline: bare Fastify + postgres.js primary-key SELECT + AES-256-GCM decrypt, same pool size, no auth, no audit.',
		'Vault: `otobot-vault serve`, NODE_ENV=production, bearer auth, rate limiter, audit row committed before every answer, refresher on.',
		'',
		'| round | baseline rps | baseline p50 / p99 ms | vault rps | vault p50 / p99 ms | errors | vault / baseline |',
		'| --- | --- | --- | --- | --- | --- | --- |',
		...rows,
		'',
		`- **Median throughput ratio vault / baseline: ${fixed(report.medianRatio, 3)}** (target >= 0.8)`,
		`- Median p99 ratio vault / baseline: ${fixed(report.medianP99Ratio, 2)} (target <= 2)`,
		`- Vault RSS: ${report.rss.warm} MB after warm-up, ${report.rss.after} MB after ${report.rss.served} more fetches`,
		`- Audit rows committed for credential fetches: ${report.auditRows} for ${report.vaultAnswered} answered (${report.auditRows >= report.vaultAnswered ? 'every answered fetch has its row' : '**ROWS MISSING**'}), in ${report.auditBatches.count} group commits: ${fixed(report.auditRows / Math.max(report.auditBatches.count, 1), 1)} rows and ${fixed((report.auditBatches.seconds / Math.max(report.auditBatches.count, 1)) * 1000, 2)} ms per commit on average`,
	];
	if (report.pgliteRps !== undefined)
		lines.push(
			`- Embedded PGlite backend: ${fixed(report.pgliteRps)} fetches/s (one round, same load)`,
		);
	if (report.drain) {
		lines.push(
			`- Refresher: ${report.drain.connections} due connections drained in ${fixed(report.drain.seconds, 1)} s = ${fixed(report.drain.perSecond)} refreshes/s at concurrency ${report.drain.concurrency} (provider answers in 50 ms; ${report.drain.providerCalls} provider calls)`,
		);
	}
	if (report.refresherScale) lines.push(refresherScaleLine(report.refresherScale));
	if (report.rewrap) lines.push(describeRewrap(report.rewrap));
	if (report.memory) lines.push(describeMemory(report.memory));
	if (report.batchVsSingle) lines.push(describeBatchVsSingle(report.batchVsSingle));
	return `${lines.join('\n')}\n`;
}
