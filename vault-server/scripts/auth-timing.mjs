#!/usr/bin/env node
// Does a wrong bearer token of the right length take longer to refuse than one of another length?
// Starts a real `otobot-vault serve` on loopback (embedded database, temporary folder), sends
// interleaved wrong tokens of each kind in random order over one keep-alive connection, and
// compares the distributions (medians, Mann-Whitney U). A statistical check, not a test: it
// prints a verdict and exits 0 either way. Bounded by --seconds (default 60).
//
//   npm run build -w vault-server && node vault-server/scripts/auth-timing.mjs --samples 4000
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median, mannWhitney } from './lib/rank-test.mjs';
import { startVault } from './lib/processes.mjs';

const { values: args } = parseArgs({
	options: {
		samples: { type: 'string', default: '3000' },
		seconds: { type: 'string', default: '60' },
	},
});
const perKind = Number(args.samples);
const deadline = Date.now() + Number(args.seconds) * 1000;

const TOKEN = randomBytes(24).toString('base64url'); // 32 characters, like a configured token
const DB_TOKEN_LENGTH = 47; // ovt_ and 43 characters: the database tokens' shape
const randomText = (length) => randomBytes(length).toString('base64url').slice(0, length);
// each kind is refused; within a pair, only the length differs
const KINDS = {
	'right length': () => randomText(TOKEN.length),
	'wrong length (8)': () => randomText(8),
	'wrong length (200)': () => randomText(200),
	'ovt_ right length': () => `ovt_${randomText(DB_TOKEN_LENGTH - 4)}`,
	'ovt_ wrong length': () => `ovt_${randomText(12)}`,
};
const PAIRS = [
	['right length', 'wrong length (8)'],
	['right length', 'wrong length (200)'],
	['ovt_ right length', 'ovt_ wrong length'],
];

const dataDir = mkdtempSync(join(tmpdir(), 'otobot-timing-'));
const vault = await startVault({
	VAULT_DATA_DIR: dataDir,
	ADMIN_API_TOKEN: randomText(32),
	INTERNAL_API_TOKEN: TOKEN,
	ENCRYPTION_MASTER_KEY: randomBytes(32).toString('hex'),
	AUTH_FAILURE_LIMIT: '1000000000',
	RATE_LIMIT_MAX: '1000000000',
	TOKEN_CACHE_SECONDS: '0',
	REFRESHER_ENABLED: 'false',
	LOG_LEVEL: 'error',
});
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const { port } = new URL(vault.url);

function timed(token) {
	return new Promise((resolve, reject) => {
		const start = process.hrtime.bigint();
		const req = request(
			{
				host: '127.0.0.1',
				port,
				path: '/v1/credentials/acme/google',
				agent,
				headers: { authorization: `Bearer ${token}` },
			},
			(res) => {
				res.resume();
				res.on('end', () => {
					if (res.statusCode !== 401) reject(new Error(`expected 401, got ${res.statusCode}`));
					else resolve(Number(process.hrtime.bigint() - start) / 1000);
				});
			},
		);
		req.on('error', reject);
		req.end();
	});
}

const samples = Object.fromEntries(Object.keys(KINDS).map((kind) => [kind, []]));
try {
	for (let i = 0; i < 200; i += 1) await timed(KINDS['right length']()); // warm up
	const order = Object.keys(KINDS);
	for (let round = 0; round < perKind && Date.now() < deadline; round += 1) {
		// a new random order each round, so drift in the machine's load hits every kind alike
		for (const kind of order.sort(() => Math.random() - 0.5))
			samples[kind].push(await timed(KINDS[kind]()));
	}
} finally {
	await vault.stop();
	rmSync(dataDir, { recursive: true, force: true });
}

console.log(
	`Wrong bearer tokens against GET /v1/credentials on loopback, ${samples['right length'].length} samples per kind (µs):`,
);
for (const [kind, values] of Object.entries(samples))
	console.log(`  ${kind.padEnd(20)} median ${median(values).toFixed(1)}`);
let differs = false;
for (const [a, b] of PAIRS) {
	const test = mannWhitney(samples[a], samples[b]);
	const difference = median(samples[a]) - median(samples[b]);
	// significant and larger than a microsecond: the noise of one loopback round trip is ~10x that
	const measurable = test.p < 0.01 && Math.abs(difference) >= 1;
	differs ||= measurable;
	console.log(
		`  ${a} vs ${b}: median difference ${difference.toFixed(2)} µs, Mann-Whitney z ${test.z.toFixed(2)}, p ${test.p.toFixed(3)}, P(a>b) ${test.effect.toFixed(3)} -> ${measurable ? 'MEASURABLE DIFFERENCE' : 'no measurable difference'}`,
	);
}
console.log(
	differs
		? 'Verdict: a difference was measured; rerun to rule out noise, then investigate.'
		: 'Verdict: no measurable difference between wrong tokens of the right and wrong length.',
);
