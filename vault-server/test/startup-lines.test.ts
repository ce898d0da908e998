import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { listenFailureMessage } from '../src/config/listen-failure.js';
import {
	CLI_RUN_BOUND_MS,
	runCli,
	startServe,
	stopChildren,
	type CliResult,
} from './helpers/cli.js';

// Issue 12, 1b: every start-up failure of `serve` is one line naming the variable and where it was
// set (the environment, which .env, or the flag), with no stack, and before the data is touched.

const STACK_LINE = /^\s+at /m;
const holders: Server[] = [];

afterAll(stopChildren);

afterEach(async () => {
	await Promise.all(
		holders.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
	);
});

const tempDir = () => mkdtempSync(join(tmpdir(), 'otobot-startup-'));

/** `otobot-vault <args>` run from `folder` with only PATH and `env` in its environment. */
const runIn = (folder: string, args: string[], env: Record<string, string>): Promise<CliResult> =>
	runCli(args, env, CLI_RUN_BOUND_MS, folder);

/** A port on 127.0.0.1 that this test holds until it ends. */
async function busyPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	holders.push(server);
	return (server.address() as { port: number }).port;
}

/**
 * `serve` from a folder of its own with a data folder that does not exist yet: asserts it exited
 * 2 with one line and no stack, and that the data folder was not created (no database opened, no
 * key written, no token minted). Returns the line.
 */
async function refusedStart(
	args: string[],
	env: Record<string, string>,
	dotEnv?: string,
): Promise<{ line: string; folder: string }> {
	const folder = tempDir();
	if (dotEnv !== undefined) writeFileSync(join(folder, '.env'), dotEnv);
	const dataDir = join(folder, 'data');
	const run = await runIn(folder, ['serve', ...args], { VAULT_DATA_DIR: dataDir, ...env });
	expect(run.stderr).not.toMatch(STACK_LINE);
	expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
	expect(run.code).toBe(2);
	expect(existsSync(dataDir)).toBe(false);
	return { line: run.stderr.trim(), folder };
}

describe('a listener that cannot open is one line naming its variable, before the data', () => {
	it('a busy METRICS_PORT names METRICS_PORT and its source', async () => {
		const port = await busyPort();
		const { line } = await refusedStart(['--port', '0'], { METRICS_PORT: String(port) });
		expect(line).toBe(
			`otobot-vault: METRICS_PORT ${port} on 127.0.0.1 is already in use by another process ` +
				'(METRICS_PORT set in the environment): stop it, or choose a free port',
		);
	});

	it('METRICS_PORT equal to PORT names both, not another process', async () => {
		const { line } = await refusedStart(['--port', '4113'], { METRICS_PORT: '4113' });
		expect(line).toContain('METRICS_PORT 4113 (set in the environment)');
		expect(line).toContain("is the API's PORT too (set in the --port flag)");
		expect(line).not.toContain('another process');
	});

	it('a busy --port names the flag, not the environment or .env', async () => {
		const port = await busyPort();
		const { line } = await refusedStart(['--port', String(port)], {}, 'PORT=3001\n');
		expect(line).toContain(`PORT ${port} on 127.0.0.1 is already in use`);
		expect(line).toContain('(PORT set in the --port flag)');
	});

	it('a HOST that does not resolve names HOST and the environment', async () => {
		const { line } = await refusedStart(['--port', '0'], { HOST: 'nosuch.invalid' });
		expect(line).toMatch(
			/^otobot-vault: HOST nosuch\.invalid \(set in the environment\) cannot be listened on: no address is known for that name/,
		);
	});

	it('a HOST this machine does not have (EADDRNOTAVAIL) names HOST and the .env', async () => {
		// 192.0.2.1 is TEST-NET-1 (RFC 5737): documentation only, never a machine's address
		const { line, folder } = await refusedStart(['--port', '0'], {}, 'HOST=192.0.2.1\n');
		expect(line).toContain(
			`HOST 192.0.2.1 (set in ${join(folder, '.env')}) is not an address of this machine`,
		);
	});

	it('--host that is not an address or a host name is refused by form, naming the flag', async () => {
		for (const host of ['999.1.1.1', 'not a host', '[::1]']) {
			const { line } = await refusedStart(['--port', '0', '--host', host], {});
			expect(line).toMatch(
				/^otobot-vault: HOST must be an IP address of this machine .* \(set in the --host flag\)$/,
			);
		}
	});
});

describe('the ports held while the vault opens', () => {
	it('turn away a client that connects meanwhile, and the vault then listens', async () => {
		const folder = tempDir();
		const probe = createServer();
		await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
		const { port } = probe.address() as { port: number };
		await new Promise((resolve) => probe.close(resolve));
		// held open, never written to: a reservation that kept it would never let the port go
		const held: Socket[] = [];
		let turnedAway = 0;
		let trying = true;
		const knock = () => {
			if (!trying) return;
			const socket = connect(port, '127.0.0.1');
			held.push(socket);
			socket.once('connect', () => socket.once('close', () => (turnedAway += 1)));
			socket.once('error', () => {});
			setTimeout(knock, 20);
		};
		knock();
		try {
			const vault = await startServe({ VAULT_DATA_DIR: join(folder, 'data'), PORT: String(port) });
			trying = false;
			expect((await fetch(`${vault.url}/health`)).status).toBe(200);
			expect(turnedAway).toBeGreaterThan(0);
			await vault.stop();
		} finally {
			trying = false;
			for (const socket of held) socket.destroy();
		}
	});
});

describe('the data folder, NODE_ENV and side effects', () => {
	it('a VAULT_DATA_DIR that is a file, or under one, is one line naming it', async () => {
		const folder = tempDir();
		const file = join(folder, 'a-file');
		writeFileSync(file, '');
		const run = await runIn(folder, ['serve', '--port', '0'], { VAULT_DATA_DIR: file });
		expect(run.code).toBe(2);
		expect(run.stderr).toBe(
			`otobot-vault: VAULT_DATA_DIR ${file} (set in the environment) is not a folder: set it to ` +
				'a folder, or to a path where one can be created\n',
		);
		const under = await runIn(folder, ['serve', '--port', '0'], {
			VAULT_DATA_DIR: join(file, 'data'),
		});
		expect(under.code).toBe(2);
		expect(under.stderr).toBe(
			`otobot-vault: VAULT_DATA_DIR ${join(file, 'data')} (set in the environment) cannot be ` +
				`created: ${file} is a file, not a folder\n`,
		);
	});

	it('an unknown NODE_ENV is refused, not run as development', async () => {
		const { line } = await refusedStart(['--port', '0'], { NODE_ENV: 'prod' });
		expect(line).toBe(
			'otobot-vault: NODE_ENV must be one of production, development, test (set in the environment)',
		);
	});

	it('a DATABASE_URL that cannot connect leaves no generated master key behind', async () => {
		const server = createServer();
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const { port } = server.address() as { port: number };
		await new Promise((resolve) => server.close(resolve));
		const folder = tempDir();
		const dataDir = join(folder, 'data');
		const run = await runIn(folder, ['serve', '--port', '0'], {
			VAULT_DATA_DIR: dataDir,
			DATABASE_URL: `postgres://nobody@127.0.0.1:${port}/nothing`,
		});
		expect(run.code).toBe(1);
		expect(run.stderr).toContain('DATABASE_URL');
		expect(existsSync(join(dataDir, 'master.key'))).toBe(false);
	});

	it('AUDIT_ARCHIVE_DIR that cannot take archives names the .env that set it', async () => {
		const { line, folder } = await refusedStart(
			['--port', '0'],
			{},
			'AUDIT_RETENTION_DAYS=30\nAUDIT_ARCHIVE_DIR=/nonexistent/otobot-archive\n',
		);
		expect(line).toContain(
			`AUDIT_ARCHIVE_DIR /nonexistent/otobot-archive (set in ${join(folder, '.env')}) cannot take`,
		);
	});
});

describe('the configuration schema', () => {
	const base = { VAULT_DATA_DIR: '/nonexistent-startup-lines' };

	it('PORT from the environment follows the --port rule: decimal digits only', () => {
		for (const text of ['0x10', '1e3', '+4107', '4107.0', ' 4107', '4107 ']) {
			expect(() => loadConfig({ ...base, PORT: text }), text).toThrow(
				'PORT must be a whole number from 0 to 65535 (set in the environment)',
			);
		}
		expect(loadConfig({ ...base, PORT: '4107' }).port).toBe(4107);
		expect(() => loadConfig({ ...base, DATABASE_POOL_SIZE: '1e1' })).toThrow(
			'DATABASE_POOL_SIZE must be a whole number from 1 to 200',
		);
	});

	it('names both variables of a broken rule between them, each with its value and source', () => {
		const env = { ...base, CONNECTION_IDLE_SECONDS: '', REFRESH_TIMEOUT_MS: '120000' };
		expect(() => loadConfig(env, { CONNECTION_IDLE_SECONDS: '/srv/.env' })).toThrow(
			'CONNECTION_IDLE_SECONDS (60 s, the default) must be longer than REFRESH_TIMEOUT_MS ' +
				'(120000 ms, set in the environment), or a fetch that waits for a refresh is cut',
		);
	});

	it('a listener message says when a value is the default, not where it was set', () => {
		const busy = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
		expect(listenFailureMessage({ host: '127.0.0.1', sources: {} }, 'PORT', 3001, busy)).toBe(
			'PORT 3001 on 127.0.0.1 is already in use by another process (PORT is the default): ' +
				'stop it, or choose a free port',
		);
		const unknown = Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
		expect(
			listenFailureMessage({ host: 'vault.lan', sources: {} }, 'METRICS_PORT', 9100, unknown),
		).toMatch(/^HOST vault\.lan \(the default\) cannot be listened on/);
	});

	it('accepts the NODE_ENV values the code and the tests use', () => {
		expect(loadConfig({ ...base, NODE_ENV: 'test' }).production).toBe(false);
		expect(loadConfig({ ...base, NODE_ENV: 'development' }).production).toBe(false);
		expect(loadConfig({ ...base }).production).toBe(false);
	});

	it('production on the embedded database starts with a warning naming DATABASE_URL', () => {
		const production = {
			...base,
			NODE_ENV: 'production',
			ENCRYPTION_MASTER_KEY: 'a'.repeat(64),
		};
		expect(loadConfig(production).warnings).toContain(
			'NODE_ENV=production (set in the environment) but DATABASE_URL is not set: the vault ' +
				'runs on the embedded database (PGlite) in /nonexistent-startup-lines, which serves ' +
				'one process and has no replication; set DATABASE_URL for PostgreSQL',
		);
		const withPostgres = { ...production, DATABASE_URL: 'postgres://db/vault' };
		expect(loadConfig(withPostgres).warnings.join()).not.toContain('DATABASE_URL');
	});

	it('a misspelt variable of a .env is named with the one it resembles; other names are not', () => {
		const env = {
			...base,
			DATABSE_URL: 'postgres://db/vault',
			database_url: 'x',
			POSTGRES_PASSWORD: 'p',
		};
		const files = {
			DATABSE_URL: '/srv/.env',
			database_url: '/srv/.env',
			POSTGRES_PASSWORD: '/srv/.env',
		};
		expect(loadConfig(env, files).warnings).toEqual([
			'DATABSE_URL (set in /srv/.env) is not a variable the vault reads; did you mean DATABASE_URL?',
			'database_url (set in /srv/.env) is not a variable the vault reads; did you mean DATABASE_URL?',
		]);
		// the same names in the process environment belong to other programs: nothing said
		expect(loadConfig(env).warnings).toEqual([]);
	});
});
