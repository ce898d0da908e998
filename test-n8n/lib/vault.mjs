// Starts the real Otobot Vault (vault-server/dist/cli.js serve) on a free loopback port, with
// its own database, and gives the test its admin API to lay down test data.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { freePort } from './ports.mjs';

const repo = new URL('../../', import.meta.url).pathname;
const cli = join(repo, 'vault-server', 'dist', 'cli.js');

function postgresReachable() {
	try {
		execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-Atc', 'select 1'], {
			stdio: 'ignore',
			timeout: 5000,
		});
		return true;
	} catch {
		return false;
	}
}

/** A fresh database: a recreated one on the local PostgreSQL when there is one, else PGlite. */
function databaseEnv(workDir, databaseName, log) {
	if (postgresReachable()) {
		const psql = (sql) =>
			execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-qAtc', sql], {
				stdio: 'ignore',
			});
		psql(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
		psql(`CREATE DATABASE ${databaseName}`);
		log(`vault database: PostgreSQL ${databaseName}`);
		return { DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${databaseName}` };
	}
	const why = 'no PostgreSQL answers psql at 127.0.0.1:5432';
	// CI starts PostgreSQL (.ci/run): there, running on PGlite instead would hide a missing server
	if (process.env.CI && process.env.CI !== 'false')
		throw new Error(`CI is set but the end-to-end test cannot run on PostgreSQL: ${why}`);
	log(`vault database: embedded PGlite (${why})`);
	noteSkip(`the n8n end-to-end test on PostgreSQL (${why}; it ran on the embedded PGlite)`);
	return { VAULT_DATA_DIR: join(workDir, 'vault-data') };
}

const skipped = new Set();

/** Records what did not run here; one line names them all when the process ends, after the tally. */
function noteSkip(what) {
	if (skipped.size === 0)
		process.once('exit', () =>
			console.log(`Skipped here (CI=true makes each a failure): ${[...skipped].join('; ')}`),
		);
	skipped.add(what);
}

/**
 * Starts the vault with a fresh database named `databaseName` (each suite its own, so suites can
 * run side by side) and resolves once /health answers.
 */
export async function startVault({
	workDir,
	log,
	databaseName = 'otobot_n8n_e2e',
	env: extraEnv = {},
}) {
	if (!existsSync(cli)) {
		log('building the vault (npm run build -w vault-server)');
		execFileSync('npm', ['run', 'build', '-w', 'vault-server'], { cwd: repo, stdio: 'inherit' });
	}
	const database = databaseEnv(workDir, databaseName, log);
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const adminToken = `admin-${randomBytes(16).toString('hex')}`;
	const internalToken = `internal-${randomBytes(16).toString('hex')}`;
	const logFile = join(mkdtempSync(join(workDir, 'vault-')), 'vault.log');
	const fd = openSync(logFile, 'w');
	const child = spawn(process.execPath, [cli, 'serve'], {
		cwd: workDir,
		env: {
			...process.env,
			NODE_ENV: 'test',
			PORT: String(port),
			HOST: '127.0.0.1',
			PUBLIC_URL: url,
			LOG_LEVEL: 'warn',
			ENCRYPTION_MASTER_KEY: randomBytes(32).toString('hex'),
			ADMIN_API_TOKEN: adminToken,
			INTERNAL_API_TOKEN: internalToken,
			REFRESHER_ENABLED: 'false',
			TOKEN_CACHE_SECONDS: '0',
			...database,
			...extraEnv,
		},
		stdio: ['ignore', fd, fd],
	});
	closeSync(fd);
	let exited = false;
	child.on('exit', () => (exited = true));

	const deadline = Date.now() + 60_000;
	for (;;) {
		if (exited) throw new Error(`the vault exited at start:\n${readFileSync(logFile, 'utf8')}`);
		try {
			const health = await fetch(`${url}/health`);
			if (health.ok) break;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) throw new Error(`the vault did not answer /health within 60 s`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}

	/**
	 * One admin API call (as `token`, another admin token, when given); throws with the vault's
	 * answer unless it succeeded.
	 */
	async function admin(method, path, body, token = adminToken) {
		const response = await fetch(`${url}${path}`, {
			method,
			headers: {
				authorization: `Bearer ${token}`,
				...(body ? { 'content-type': 'application/json' } : {}),
			},
			body: body ? JSON.stringify(body) : undefined,
		});
		const text = await response.text();
		if (!response.ok) throw new Error(`${method} ${path} -> ${response.status} ${text}`);
		return text ? JSON.parse(text) : undefined;
	}

	/** A GET as admin whose answer is text, such as /metrics. */
	async function adminText(path) {
		const response = await fetch(`${url}${path}`, {
			headers: { authorization: `Bearer ${adminToken}` },
		});
		if (!response.ok) throw new Error(`GET ${path} -> ${response.status}`);
		return response.text();
	}

	async function connectionStatus(clientId, service) {
		try {
			return (await admin('GET', `/v1/clients/${clientId}/connections/${service}`)).status;
		} catch (error) {
			return `unknown (${error.message})`;
		}
	}

	/**
	 * Asks the vault to refresh a connection whose provider refuses the grant. Returns the vault's
	 * answer (HTTP status and error code) and the connection's status afterwards.
	 */
	async function refreshAndReadStatus(clientId, service) {
		const path = `/v1/credentials/${clientId}/${service}`;
		const asN8n = { authorization: `Bearer ${internalToken}` };
		const response = await fetch(`${url}${path}/refresh`, { method: 'POST', headers: asN8n });
		const answer = { status: response.status, code: (await response.json()).code };
		return { answer, status: await connectionStatus(clientId, service) };
	}

	return {
		url,
		internalToken,
		admin,
		adminText,
		refreshAndReadStatus,
		logFile,
		async stop() {
			if (exited) return;
			const gone = new Promise((resolve) => child.on('exit', resolve));
			child.kill('SIGTERM');
			await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 10_000))]);
			if (!exited) child.kill('SIGKILL');
		},
	};
}
