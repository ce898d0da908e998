import { cpus, loadavg } from 'node:os';
import { openVault } from '../src/vault.js';
import { searchAudit, type AuditFilters } from '../src/domain/audit-search.js';
import type { Database } from '../src/storage/database.js';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { clientsStore } from '../src/storage/clients-store.js';
import { connectionsStore } from '../src/storage/connections-store.js';
import { connectLinksStore } from '../src/storage/connect-links-store.js';
import { apiTokensStore } from '../src/storage/api-tokens-store.js';
import { alertsStore } from '../src/storage/alerts-store.js';
import { servicesStore } from '../src/storage/services-store.js';
import { countServiceConnections } from '../src/domain/services.js';
import { keysStatus } from '../src/domain/key-status.js';
import { loadConfig } from '../src/config/config.js';
import { CONSOLE_SERVICES, WORKFLOWS, seedConsole } from './console-seed.js';
import { startVault, type PhaseSetup } from './phase-setup.js';

export interface ConsoleShapeOptions {
	clients: number;
	auditRows: number;
	/** Requests timed per query, after WARM_UP untimed ones. */
	samples: number;
}

export interface QueryTiming {
	name: string;
	/** Over HTTP to `serve`, the request's audit row (a commit) included; milliseconds. */
	http: { p50: number; p99: number };
	/** The same statements run straight on the database; milliseconds. */
	sql: { p50: number; p99: number };
	/** Answers that were not 200 (a query the build does not know, e.g. `q` before it lands). */
	refused: number;
}

export interface ConsoleResult {
	shape: ConsoleShapeOptions;
	/** The 1-minute load average when the phase ended, and the cores: how busy the machine was. */
	loadAverage: number;
	cores: number;
	seedSeconds: number;
	timings: QueryTiming[];
}

const WARM_UP = 20;
const DAY_MS = 86_400_000;

const pick = (n: number) => 1 + Math.floor(Math.random() * n);
const percentile = (sorted: number[], p: number) =>
	sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** One console query: its HTTP request, and the statement(s) behind it run straight on the database. */
interface ConsoleQuery {
	name: string;
	path: string;
	sql(db: Database): Promise<unknown>;
}

/**
 * Every list page and search the console asks the vault for, each made anew per request (a
 * random client, workflow, execution, day), so no two requests hit the same rows by design.
 */
function consoleQuery(shape: ConsoleShapeOptions, n: number): ConsoleQuery[] {
	const client = `client-${pick(shape.clients)}`;
	const service = CONSOLE_SERVICES[n % 3]!;
	const workflow = `wf-${pick(WORKFLOWS) - 1}`;
	const execution = `ex-${pick(shape.auditRows)}`;
	const since = new Date(Date.now() - pick(360) * DAY_MS);
	const until = new Date(since.getTime() + DAY_MS);
	const beforeId = pick(shape.auditRows);
	const search = `%${pick(999)}%`;
	const audit = (name: string, query: string, filters: AuditFilters, before?: number) => ({
		name,
		path: `/v1/audit?limit=50${query}`,
		sql: (db: Database) => searchAudit(db, filters, { limit: 50, beforeId: before }),
	});
	return [
		{
			name: 'clients, first page',
			path: '/v1/clients?limit=50',
			sql: (db) => clientsStore(db).list({ limit: 50 }),
		},
		{
			name: 'clients, a later page',
			path: `/v1/clients?limit=50&after=${client}`,
			sql: (db) => clientsStore(db).list({ limit: 50, after: client }),
		},
		{
			name: 'clients, q substring search (SQL: id or name ILIKE)',
			path: `/v1/clients?limit=50&q=${search.slice(1, -1)}`,
			sql: (db) =>
				db.query(
					'SELECT id, name FROM clients WHERE id ILIKE $1 OR name ILIKE $1 ORDER BY id LIMIT 50',
					[search],
				),
		},
		{
			name: "a client's connections",
			path: `/v1/clients/${client}/connections`,
			sql: (db) => connectionsStore(db).listForClient(client),
		},
		{
			name: "a client's connect links",
			path: `/v1/connect-links?client_id=${client}`,
			sql: (db) => connectLinksStore(db).list({ clientId: client, limit: 100 }),
		},
		{ name: 'API tokens', path: '/v1/tokens', sql: (db) => apiTokensStore(db).list() },
		{
			name: 'clients connected to a service',
			path: `/v1/clients?limit=50&service=${service}`,
			sql: (db) => clientsStore(db).list({ limit: 50, service }),
		},
		{ name: 'services', path: '/v1/services', sql: (db) => servicesStore(db).list() },
		{
			name: 'a service, with its connection count',
			path: `/v1/services/${service}`,
			sql: (db) => countServiceConnections(db, service),
		},
		{
			name: 'alerts, resolved',
			path: '/v1/alerts?status=resolved&limit=50',
			sql: (db) => alertsStore(db).list('resolved', 51),
		},
		{ name: 'keys (ciphertexts per version)', path: '/v1/keys', sql: (db) => keysStatus(db) },
		audit('audit, newest', '', {}),
		audit('audit, a later page', `&before_id=${beforeId}`, {}, beforeId),
		audit('audit by client', `&client_id=${client}`, { clientId: client }),
		audit('audit by client and service', `&client_id=${client}&service=${service}`, {
			clientId: client,
			service,
		}),
		audit('audit by service', `&service=${service}`, { service }),
		audit('audit by action (1 row in 97)', '&action=connect.open', { action: 'connect.open' }),
		audit('audit by outcome=failure', '&outcome=failure', { outcome: 'failure' }),
		audit('audit by outcome=success', '&outcome=success', { outcome: 'success' }),
		audit('audit by workflow', `&workflow_id=${workflow}`, { workflowId: workflow }),
		audit('audit by execution', `&execution_id=${execution}`, { executionId: execution }),
		audit(
			'audit, one day of the year',
			`&since=${since.toISOString()}&until=${until.toISOString()}`,
			{ since, until },
		),
		audit('audit by workflow and outcome=failure', `&workflow_id=${workflow}&outcome=failure`, {
			workflowId: workflow,
			outcome: 'failure',
		}),
	];
}

const summary = (times: number[]) => {
	times.sort((a, b) => a - b);
	return { p50: percentile(times, 50), p99: percentile(times, 99) };
};

/**
 * The console's pages at scale (issue 15, "Scale"): `clients` clients x 3 connections and
 * `auditRows` audit rows seeded by generate_series, a vault started as users start it (`serve`
 * on PostgreSQL), and each query timed over HTTP one request at a time (the audit row each
 * request writes included): p50 and p99 in milliseconds.
 */
export async function measureConsolePages(
	setup: PhaseSetup,
	shape: ConsoleShapeOptions,
): Promise<ConsoleResult> {
	const url = await setup.createDatabase('otobot_bench_console');
	const started = performance.now();
	const opened = await openVault(
		loadConfig({
			NODE_ENV: 'production',
			DATABASE_URL: url,
			ENCRYPTION_MASTER_KEY: setup.masterKey,
		}),
	);
	try {
		await seedConsole(opened.db, { ...shape, apiTokens: 50 });
	} finally {
		await opened.db.close();
	}
	const seedSeconds = (performance.now() - started) / 1000;

	const names = consoleQuery(shape, 0).map((query) => query.name);
	const timings: QueryTiming[] = [];

	// the statements alone, on a pool as the vault's (prepared, so generic plans come into play)
	const db = openPostgresDatabase({ url, poolSize: 5 });
	const sqlTimes: number[][] = names.map(() => []);
	try {
		for (let n = 0; n < WARM_UP + shape.samples; n += 1) {
			for (const [index, query] of consoleQuery(shape, n).entries()) {
				const begun = performance.now();
				await query.sql(db);
				if (n >= WARM_UP) sqlTimes[index]!.push(performance.now() - begun);
			}
		}
	} finally {
		await db.close();
	}

	const vault = await startVault(setup, url);
	const headers = { authorization: `Bearer admin-${setup.load.token}` };
	const httpTimes: number[][] = names.map(() => []);
	const refused = names.map(() => 0);
	try {
		for (let n = 0; n < WARM_UP + shape.samples; n += 1) {
			for (const [index, query] of consoleQuery(shape, n).entries()) {
				const begun = performance.now();
				const response = await fetch(`${vault.url}${query.path}`, { headers });
				await response.arrayBuffer();
				if (response.status !== 200) refused[index]! += 1;
				if (n >= WARM_UP) httpTimes[index]!.push(performance.now() - begun);
			}
		}
	} finally {
		await vault.stop();
	}
	for (const [index, name] of names.entries())
		timings.push({
			name,
			http: summary(httpTimes[index]!),
			sql: summary(sqlTimes[index]!),
			refused: refused[index]!,
		});
	return { shape, seedSeconds, timings, loadAverage: loadavg()[0]!, cores: cpus().length };
}

/** The result as the table `npm run bench -- --only console` prints (and the README shows). */
export function describeConsole(result: ConsoleResult): string {
	const { clients, auditRows, samples } = result.shape;
	const lines = [
		`Console pages: ${clients.toLocaleString('en')} clients x 3 connections, ` +
			`${auditRows.toLocaleString('en')} audit rows (seeded in ${result.seedSeconds.toFixed(0)} s); ` +
			`${samples} requests each, one at a time: over HTTP to \`serve\` on PostgreSQL (the audit ` +
			'row each request commits included), and the same statements straight on the database; ' +
			`load average ${result.loadAverage.toFixed(1)} on ${result.cores} cores at the end`,
		'',
		'| query | HTTP p50 ms | HTTP p99 ms | SQL p50 ms | SQL p99 ms |',
		'| --- | ---: | ---: | ---: | ---: |',
		...result.timings.map(
			(t) =>
				`| ${t.name}${t.refused ? ` (${t.refused} HTTP answers not 200)` : ''} | ` +
				[t.http.p50, t.http.p99, t.sql.p50, t.sql.p99].map((ms) => ms.toFixed(1)).join(' | ') +
				' |',
		),
	];
	return lines.join('\n');
}
