import { clientId } from './seed.js';
import { seedDatabase, startVault, type PhaseSetup } from './phase-setup.js';

/** One execution's worth of distinct clients, as in issue 16 (one api_key connection each). */
const CLIENTS = 1300;
const SERVICE = 'bench-openai';
const BATCH = 500;
const ROUNDS = 3;

export interface BatchVsSingle {
	clients: number;
	/** Credentials per second, median of the rounds, for each way of asking. */
	batch: number;
	singleSequential: number;
	singleConcurrent: number;
	concurrency: number;
}

type Fetcher = (url: string, token: string) => Promise<void>;

async function expectOk(response: Response): Promise<void> {
	if (response.status !== 200) throw new Error(`vault answered ${response.status}`);
	await response.arrayBuffer();
}

const single =
	(width: number): Fetcher =>
	async (url, token) => {
		let next = 0;
		await Promise.all(
			Array.from({ length: width }, async () => {
				for (let i = next++; i < CLIENTS; i = next++)
					await expectOk(
						await fetch(`${url}/v1/credentials/${clientId(i)}/${SERVICE}`, {
							headers: { authorization: `Bearer ${token}` },
						}),
					);
			}),
		);
	};

const batch: Fetcher = async (url, token) => {
	for (let start = 0; start < CLIENTS; start += BATCH) {
		const pairs = Array.from({ length: Math.min(BATCH, CLIENTS - start) }, (_, i) => ({
			client_id: clientId(start + i),
			service: SERVICE,
		}));
		await expectOk(
			await fetch(`${url}/v1/credentials/batch`, {
				method: 'POST',
				headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
				body: JSON.stringify({ pairs }),
			}),
		);
	}
};

async function perSecond(fetcher: Fetcher, url: string, token: string): Promise<number> {
	const started = performance.now();
	await fetcher(url, token);
	return CLIENTS / ((performance.now() - started) / 1000);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/**
 * Credentials per second for 1,300 distinct clients, fetched the three ways n8n could ask: the
 * batch route (3 requests of up to 500 pairs, one after another, as the node sends them), single
 * fetches one after another (what the node did per item), and single fetches `concurrency` at a
 * time. Rounds alternate the order so drift hits each alike; audit rows are written for all.
 */
export async function measureBatchVsSingle(setup: PhaseSetup): Promise<BatchVsSingle> {
	const { url: databaseUrl } = await seedDatabase(setup, 'otobot_bench_batch', CLIENTS);
	const vault = await startVault(setup, databaseUrl);
	const concurrency = setup.load.connections;
	const ways: [keyof BatchVsSingle, Fetcher][] = [
		['batch', batch],
		['singleSequential', single(1)],
		['singleConcurrent', single(concurrency)],
	];
	const measured = new Map<string, number[]>(ways.map(([name]) => [name, []]));
	try {
		for (const [, fetcher] of ways) await fetcher(vault.url, setup.load.token!);
		for (let round = 0; round < ROUNDS; round++) {
			const order = round % 2 === 0 ? ways : [...ways].reverse();
			for (const [name, fetcher] of order)
				measured.get(name)!.push(await perSecond(fetcher, vault.url, setup.load.token!));
		}
	} finally {
		await vault.stop();
	}
	return {
		clients: CLIENTS,
		batch: median(measured.get('batch')!),
		singleSequential: median(measured.get('singleSequential')!),
		singleConcurrent: median(measured.get('singleConcurrent')!),
		concurrency,
	};
}

/** The figures side by side, as ratios. */
export function describeBatchVsSingle(result: BatchVsSingle): string {
	const fixed = (value: number, digits = 0) => value.toFixed(digits);
	return (
		`- Batch fetch, ${result.clients.toLocaleString('en')} distinct clients: ` +
		`${fixed(result.batch)} credentials/s through POST /v1/credentials/batch (500 pairs a request, ` +
		`one request at a time) vs ${fixed(result.singleSequential)}/s through single fetches one at ` +
		`a time (ratio ${fixed(result.batch / result.singleSequential, 1)}) and ` +
		`${fixed(result.singleConcurrent)}/s through single fetches ${result.concurrency} at a time ` +
		`(ratio ${fixed(result.batch / result.singleConcurrent, 2)}); median of ${ROUNDS} rounds`
	);
}
