import autocannon from 'autocannon';

export interface LoadOptions {
	url: string;
	token?: string;
	seconds: number;
	connections: number;
	clients: number;
	services: string[];
	/** Stop after this many requests instead of after `seconds`. */
	amount?: number;
}

/**
 * The load generator, run as its own process so it does not share the servers' event loops.
 * argv: JSON LoadOptions; fetches walk over bench-client-0..N-1 x services. Prints one JSON result line.
 * SIGINT ends the run early and still prints the result (the rewrap phase loads only while it runs).
 */
const options = JSON.parse(process.argv[2]!) as LoadOptions;
const paths = Array.from({ length: options.clients }, (_u, i) =>
	options.services.map((s) => `/v1/credentials/bench-client-${i}/${s}`),
).flat();
let next = 0;
const result = await new Promise<autocannon.Result>((resolve, reject) => {
	const run = autocannon(
		{
			url: options.url,
			connections: options.connections,
			duration: options.seconds,
			amount: options.amount,
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
		},
		(error, done) => (error ? reject(error) : resolve(done)),
	);
	process.once('SIGINT', () => run.stop());
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
