import autocannon from 'autocannon';

export interface LoadOptions {
	url: string;
	token?: string;
	seconds: number;
	connections: number;
	clients: number;
	services: string[];
}

/**
 * The load generator, run as its own process so it does not share the servers' event loops.
 * argv: JSON LoadOptions; fetches walk over bench-client-0..N-1 x services. Prints one JSON result line.
 */
const options = JSON.parse(process.argv[2]!) as LoadOptions;
const paths = Array.from({ length: options.clients }, (_u, i) => options.services.map((s) => `/v1/credentials/bench-client-${i}/${s}`)).flat();
let next = 0;
const result = await autocannon({
	url: options.url,
	connections: options.connections,
	duration: options.seconds,
	headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
	requests: [
		{
			setupRequest: (request) => {
				// a fixed pseudo-random walk: every target sees the same sequence of paths
				next = (next + 7919) % paths.length;
				return { ...request, path: paths[next]! };
			},
		},
	],
});
process.stdout.write(
	`${JSON.stringify({
		rps: result.requests.average,
		total: result.requests.total,
		p50: result.latency.p50,
		p99: result.latency.p99,
		errors: result.errors + result.timeouts + result.non2xx,
	})}\n`,
);
