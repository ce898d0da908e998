#!/usr/bin/env node
// Two `otobot-vault serve` processes and a separate `otobot-vault refresher` on one PostgreSQL
// database, for a bounded time: tokens that expire every few seconds, single-use (rotating)
// refresh tokens, fetches spread over both servers, connections replaced now and then.
// It checks: every fetch answered 200 (no deadlock, no broken connection), one provider call per
// audited refresh (no duplicate refresh), every connection active and still refreshable at the
// end (no lost update of a rotated refresh token), and the audit chain verifies.
//
//   node scripts/soak-multiprocess.mjs [--seconds 180] [--connections 20] [--workers 8]
//                                      [--until-fetches N --until-refresh-calls M]
// With --until-*, the run ends as soon as both amounts of work are done, and --seconds is only
// the bound: not reaching them within it fails the run (so a slow machine runs longer, and a test
// asserts work done, not a rate).
// Needs a built dist/ (npm run build) and SOAK_DATABASE_URL or TEST_DATABASE_URL: a PostgreSQL
// server where it creates a database of its own and drops it at the end. Loopback only.
// Prints a JSON report as its last line; exits 1 when a check fails.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { CLI, callVault, controlProvider as control, Processes } from './lib/soak-processes.mjs';

const { values: args } = parseArgs({
	options: {
		seconds: { type: 'string', default: '180' },
		connections: { type: 'string', default: '20' },
		workers: { type: 'string', default: '8' },
		'expires-in': { type: 'string', default: '6' },
		'until-fetches': { type: 'string' },
		'until-refresh-calls': { type: 'string' },
	},
});
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const WORKERS = Number(args.workers);
const UNTIL_FETCHES =
	args['until-fetches'] === undefined ? undefined : Number(args['until-fetches']);
const UNTIL_REFRESH_CALLS =
	args['until-refresh-calls'] === undefined ? undefined : Number(args['until-refresh-calls']);
const hasTarget = UNTIL_FETCHES !== undefined || UNTIL_REFRESH_CALLS !== undefined;
const ADMIN = `soak-admin-${randomBytes(12).toString('hex')}`;
const READ = `soak-read-${randomBytes(12).toString('hex')}`;
const base = process.env.SOAK_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!base) throw new Error('set SOAK_DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL server)');

const processes = new Processes();
const call = (url, path, options = {}) => callVault(url, path, { token: READ, ...options });

const name = `otobot_soak_${randomBytes(6).toString('hex')}`;
const admin = postgres(base, { max: 1, onnotice: () => {} });
await admin.unsafe(`CREATE DATABASE ${name}`);
const url = new URL(base);
url.pathname = `/${name}`;
const db = postgres(url.toString(), { max: 2, onnotice: () => {} });
const checks = [];
const check = (ok, what) => checks.push({ ok: Boolean(ok), what });
let report;
try {
	const provider = await processes.startProvider();
	await control(provider, '/_control', { rotate: true, expiresIn: Number(args['expires-in']) });
	const env = {
		DATABASE_URL: url.toString(),
		ENCRYPTION_MASTER_KEY: randomBytes(32).toString('hex'),
		ADMIN_API_TOKEN: ADMIN,
		INTERNAL_API_TOKEN: READ,
		VAULT_DATA_DIR: '/nonexistent-soak-data-dir',
		LOG_LEVEL: 'warn',
		ALLOW_INSECURE_OAUTH_URLS: 'true',
		// the local provider is on 127.0.0.1, which production refuses by default
		PROVIDER_PRIVATE_ADDRESSES: 'allow',
		RATE_LIMIT_MAX: '10000000',
		REFRESHER_ENABLED: 'false',
		REFRESH_SKEW_SECONDS: '2',
		REFRESHER_INTERVAL_SECONDS: '1',
	};
	const servers = [await processes.startServe(env), await processes.startServe(env)];
	await processes.start([CLI, 'refresher'], { ...env, LOG_LEVEL: 'info' }, /refresher started()/);

	const setup = servers[0];
	await call(setup, '/v1/services', {
		method: 'POST',
		token: ADMIN,
		body: {
			name: 'crm',
			display_name: 'CRM',
			oauth_type: 'oauth2',
			oauth_token_url: `${provider}/token`,
			oauth_client_id: 'vault-app',
			oauth_client_secret: 'vault-app-secret',
		},
	});
	let replaced = 0;
	const store = async (i, expiresIn) => {
		const refreshToken = `rt-soak-${i}-${randomBytes(6).toString('hex')}`;
		await control(provider, '/_refresh-tokens', { token: refreshToken });
		const stored = await call(servers[i % 2], `/v1/clients/c${i}/connections/crm`, {
			method: 'PUT',
			token: ADMIN,
			body: { access_token: `at-soak-${i}`, refresh_token: refreshToken, expires_in: expiresIn },
		});
		if (stored.status >= 300)
			throw new Error(`PUT c${i}: ${stored.status} ${JSON.stringify(stored.body)}`);
	};
	for (let i = 0; i < CONNECTIONS; i += 1) {
		await call(setup, '/v1/clients', {
			method: 'POST',
			token: ADMIN,
			body: { id: `c${i}`, name: `Client ${i}` },
		});
		await store(i, i % 7);
	}

	const latencies = [];
	const failures = {};
	let fetches = 0;
	const stopAt = Date.now() + SECONDS * 1000;
	let targetReached = false;
	const refreshCalls = async () =>
		(await (await fetch(`${provider}/_stats`)).json()).grants.refresh_token ?? 0;
	const workDone = async () =>
		fetches >= (UNTIL_FETCHES ?? 0) && (await refreshCalls()) >= (UNTIL_REFRESH_CALLS ?? 0);
	await Promise.all(
		Array.from({ length: WORKERS }, async (_unused, worker) => {
			for (let round = 0; Date.now() < stopAt && !targetReached; round += 1) {
				if (hasTarget && worker === 0 && round % 50 === 49 && (await workDone())) {
					targetReached = true;
					break;
				}
				const i = Math.floor(Math.random() * CONNECTIONS);
				if (worker === 0 && round % 200 === 199) {
					await store(i, 3);
					replaced += 1;
					continue;
				}
				const started = performance.now();
				const answer = await call(servers[(worker + round) % 2], `/v1/credentials/c${i}/crm`).catch(
					(error) => ({ status: 0, body: { code: error.name } }),
				);
				latencies.push(performance.now() - started);
				fetches += 1;
				if (answer.status !== 200) {
					const key = `${answer.status} ${answer.body.code}`;
					failures[key] = (failures[key] ?? 0) + 1;
				}
			}
		}),
	);
	// every vault process stops, so refreshes and audit rows under way end before the counts
	await processes.stopVaults();

	const stats = await (await fetch(`${provider}/_stats`)).json();
	const outcomes = Object.fromEntries(
		(
			await db`SELECT details->>'outcome' AS outcome, count(*)::int AS n FROM audit_log WHERE action = 'connection.refresh' GROUP BY 1`
		).map((r) => [r.outcome, r.n]),
	);
	const triggers = Object.fromEntries(
		(
			await db`SELECT details->>'trigger' AS trigger, count(*)::int AS n FROM audit_log WHERE action = 'connection.refresh' AND details->>'outcome' = 'refreshed' GROUP BY 1`
		).map((r) => [r.trigger, r.n]),
	);
	const providerCalls = stats.grants.refresh_token ?? 0;
	if (hasTarget)
		check(
			fetches >= (UNTIL_FETCHES ?? 0) && providerCalls >= (UNTIL_REFRESH_CALLS ?? 0),
			`the work target was reached within ${SECONDS} s (${fetches} fetches of ` +
				`${UNTIL_FETCHES ?? 0}, ${providerCalls} provider refresh calls of ${UNTIL_REFRESH_CALLS ?? 0})`,
		);
	const audited =
		(outcomes.refreshed ?? 0) +
		(outcomes.superseded ?? 0) +
		(outcomes.failed ?? 0) +
		(outcomes.needs_reauth ?? 0);
	check(
		Object.keys(failures).length === 0,
		`every fetch answered 200 (${JSON.stringify(failures)})`,
	);
	check(
		providerCalls === audited,
		`one provider call per audited refresh (${providerCalls} calls, ${audited} audited)`,
	);
	check(!outcomes.failed && !outcomes.needs_reauth, 'no refresh failed or lost its grant');
	check((outcomes.superseded ?? 0) <= replaced, 'a refresh was superseded only by a replacing PUT');
	const connections =
		await db`SELECT client_id, status, refresh_failures FROM connections ORDER BY client_id`;
	check(
		connections.length === CONNECTIONS &&
			connections.every((c) => c.status === 'active' && c.refresh_failures === 0),
		'every connection active, no failures',
	);
	// a vault of its own (no refresher): one last refresh per connection, with its stored token
	const checker = await processes.startServe(env);
	const last = await Promise.all(
		connections.map((c) =>
			call(checker, `/v1/credentials/${c.client_id}/crm/refresh`, { method: 'POST' }),
		),
	);
	check(
		last.every((answer) => answer.status === 200),
		'every stored refresh token is the live one (a last refresh works)',
	);
	await processes.stopVaults();
	const verify = await new Promise((resolve) =>
		spawn(process.execPath, [CLI, 'audit', 'verify'], {
			env: { PATH: process.env.PATH, ...env },
			stdio: 'ignore',
		}).once('exit', resolve),
	);
	check(verify === 0, 'otobot-vault audit verify passes');

	latencies.sort((x, y) => x - y);
	const at = (q) =>
		Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
	report = {
		seconds: SECONDS,
		connections: CONNECTIONS,
		fetches,
		fetch_failures: failures,
		latency_ms: { p50: at(0.5), p99: at(0.99), max: at(1) },
		provider_refresh_calls: providerCalls,
		refreshes: { outcomes, refreshed_by_trigger: triggers },
		connections_replaced: replaced,
		checks,
		ok: checks.every((c) => c.ok),
	};
} finally {
	processes.killAll();
	await db.end();
	await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
	await admin.end();
}
for (const { ok, what } of report.checks) process.stderr.write(`${ok ? 'ok  ' : 'FAIL'} ${what}\n`);
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(report.ok ? 0 : 1);
