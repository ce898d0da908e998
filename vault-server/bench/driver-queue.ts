import postgres from 'postgres';

/**
 * `node dist/bench/driver-queue.js [statements] [--published]`: statements per second of one
 * long-lived pool, per 100,000 statements, with the bundled postgres.js (patched) or, with
 * --published, the driver as published in node_modules (build/postgres-driver-patch.ts, fix 3).
 */
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const published = process.argv.includes('--published');
const total = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 600_000);
// a computed specifier stays out of the bundle: Node loads the published driver from node_modules
const specifier = 'postgres';
const driver = published
	? ((await import(specifier)) as { default: typeof postgres }).default
	: postgres;
const WINDOW = 100_000;
const sql = driver(url, { max: 10 });
let done = 0;
let windowStart = performance.now();

async function worker() {
	while (done < total) {
		await sql.unsafe('SELECT $1::int AS n', [done], { prepare: true });
		done += 1;
		if (done % WINDOW === 0) {
			const now = performance.now();
			console.log(
				`${published ? 'published' : 'patched'} driver, statements ${done - WINDOW + 1}-${done}: ${(WINDOW / ((now - windowStart) / 1000)).toFixed(0)}/s`,
			);
			windowStart = now;
		}
	}
}

await Promise.all(Array.from({ length: 50 }, worker));
await sql.end();
