import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { VERSION } from '../src/version.js';
import { CLI, runCli } from './helpers/cli.js';
import { createPostgresDatabase } from './helpers/databases.js';
import { TEST_MASTER_KEY } from './helpers/vault-app.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'otobot-cli-usage-'));
/** A configuration no command below may reach: a usage error must stop before it. */
const env = { VAULT_DATA_DIR: '/nonexistent-otobot-cli-usage' };

/** A port nothing listens on right now. */
const freePort = () =>
	new Promise<number>((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});

/** A database for commands that open one: PostgreSQL when the tests have it (fast), else PGlite. */
async function database(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
	const env: Record<string, string> = { VAULT_DATA_DIR: tempDir(), LOG_LEVEL: 'info' };
	if (!process.env.TEST_DATABASE_URL) return { env, drop: async () => {} };
	const created = await createPostgresDatabase();
	return {
		env: { ...env, DATABASE_URL: created.url, ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY },
		drop: created.drop,
	};
}

// a busy machine opens the embedded database slowly: budgets, not assertions
const SLOW = 300_000;
const children: ChildProcess[] = [];

/** Ends every process a test started, and waits until each has exited. */
async function stopChildren() {
	await Promise.all(
		children.splice(0).map(async (child) => {
			if (child.exitCode !== null || child.signalCode !== null) return;
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.kill('SIGTERM');
			await exited;
		}),
	);
}
afterEach(stopChildren);

/** Starts `otobot-vault serve <args>`; resolves with the URL its log says it listens at. */
function startServe(args: string[], env: Record<string, string>): Promise<string> {
	const child = spawn(process.execPath, [CLI, 'serve', ...args], {
		env: { PATH: process.env.PATH ?? '', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	children.push(child);
	let output = '';
	return new Promise((resolve, reject) => {
		const onData = (chunk: Buffer) => {
			output += chunk.toString();
			const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
			if (match) resolve(match[1]!);
		};
		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
	});
}

describe('otobot-vault usage', () => {
	it.each([
		[['tokn', 'list'], "error: unknown command 'tokn'"],
		[['token', 'list', '--bogus'], "error: unknown option '--bogus'"],
		[['serve', '--prot', '4000'], "error: unknown option '--prot'"],
		[['--frobnicate'], "error: unknown option '--frobnicate'"],
		[['audit', 'verify', 'extra'], "too many arguments for 'verify'"],
		[['token', 'revoke'], "error: missing required argument 'id'"],
		[['token', 'revoke', 'abc'], 'A token id is a UUID'],
		[
			['token', 'create', '--name', 'n8n'],
			"error: required option '--scope <scope>' not specified",
		],
		[
			['token', 'create', '--name', 'n8n', '--scope', 'write'],
			"argument 'write' is invalid. Allowed choices are admin, read.",
		],
		[
			['token', 'create', '--name', 'n8n', '--scope', 'admin', '--clients', 'acme'],
			'read tokens only',
		],
		[['monitor', '--interval', '0s'], 'It must be at least 1s.'],
		[['backup'], "error: required option '--output <file>' not specified"],
		[['backup', '--output', 'f.backup', '--bogus'], "error: unknown option '--bogus'"],
		[['backup', 'verify'], "error: missing required argument 'file'"],
		[['restore'], "error: missing required argument 'file'"],
		[['restore', 'a.backup', 'b.backup'], "too many arguments for 'restore'"],
		[
			['test-connections', '--insert-test-data', '--remove-test-data'],
			"option '--insert-test-data' cannot be used with option '--remove-test-data'",
		],
		[['help', 'nosuch'], "error: unknown command 'nosuch'"],
		[['help', 'token', 'nosuch'], "error: unknown command 'nosuch'"],
		[['--version', 'extra'], "error: --version takes no arguments; got 'extra'"],
		[['audit', 'verify', '--expect-head', 'bad'], "argument 'bad' is invalid. It must be ID:HASH"],
		[
			['audit', 'archive', '--before', 'soon', '--output', 'a.jsonl'],
			"argument 'soon' is invalid. It must be a date",
		],
	])('refuses %j with exit 2, naming what is wrong', async (args, message) => {
		const result = await runCli(args, env);
		expect(result.stderr).toContain(message);
		expect(result.code).toBe(2);
		expect(result.stdout).toBe('');
	});

	it('answers -h and --help alike with exit 0, and has help for each command', async () => {
		const short = await runCli(['-h'], env);
		const long = await runCli(['--help'], env);
		expect(short.code).toBe(0);
		expect(long.code).toBe(0);
		expect(short.stdout).toBe(long.stdout);
		expect(long.stdout).toMatch(/^Usage: otobot-vault/);
		expect(long.stdout).toContain('test-connections');
		const create = await runCli(['token', 'create', '--help'], env);
		expect(create.code).toBe(0);
		expect(create.stdout).toContain('Usage: otobot-vault token create');
		expect(create.stdout).toContain('--expires-in-days <days>');
		expect((await runCli(['help', 'keys'], env)).stdout).toContain('rewrap');
	});

	it('echoes a refused value with its control characters escaped, never raw', async () => {
		const result = await runCli(
			['token', 'create', '--name', 'x\u001b]0;pwned\u0007\u001b[31mRED', '--scope', 'read'],
			env,
		);
		expect(result.code).toBe(2);
		expect(result.stderr).toContain("argument 'x\\x1b]0;pwned\\x07\\x1b[31mRED' is invalid");
		expect(result.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
	});

	it('prints the help of `help <command>` with exit 0', async () => {
		const result = await runCli(['help', 'token', 'create'], env);
		expect(result.code).toBe(0);
		expect(result.stdout).toContain('Usage: otobot-vault token create');
	});

	it(
		'backup and audit archive into a missing folder: one line naming the path given, exit 1',
		async () => {
			const db = await database();
			try {
				const backup = await runCli(['backup', '--output', '/nonexistent/dir/file'], db.env, SLOW);
				expect(backup.stderr).toBe(
					'otobot-vault: cannot write /nonexistent/dir/file: the folder /nonexistent/dir does not exist\n',
				);
				expect(backup.code).toBe(1);
				const archive = await runCli(
					['audit', 'archive', '--before', '2020-01-01', '--output', '/nonexistent/dir/a.jsonl'],
					db.env,
					SLOW,
				);
				expect(archive.stderr).toBe(
					'otobot-vault: cannot write /nonexistent/dir/a.jsonl: the folder /nonexistent/dir does not exist\n',
				);
				expect(archive.code).toBe(1);
			} finally {
				await db.drop();
			}
		},
		SLOW,
	);

	it('prints its version with --version', async () => {
		const result = await runCli(['--version'], env);
		expect(result.code).toBe(0);
		expect(result.stdout.trim()).toBe(VERSION);
	});

	it(
		'serve --port listens on that port rather than PORT',
		async () => {
			const port = await freePort();
			const db = await database();
			try {
				const url = await startServe(['--port', String(port)], { ...db.env, PORT: '3001' });
				expect(url).toBe(`http://127.0.0.1:${port}`);
				const health = await fetch(`${url}/health`);
				expect(health.status).toBe(200);
				await health.body?.cancel();
			} finally {
				await stopChildren();
				await db.drop();
			}
		},
		SLOW,
	);

	it(
		'monitor and test-connections find an embedded-database vault started with serve --port',
		async () => {
			const [port, unused] = [await freePort(), await freePort()];
			// the embedded default: the CLI cannot open the database serve holds, and asks serve
			const local = { VAULT_DATA_DIR: tempDir(), PORT: String(unused) };
			const url = await startServe(['--port', String(port)], local);
			const monitor = await runCli(['monitor', '--json'], local, SLOW);
			expect(monitor.stderr).not.toContain(String(unused));
			expect([0, 1]).toContain(monitor.code);
			expect(JSON.parse(monitor.stdout)).toHaveProperty('needs_action');
			const checks = await runCli(['test-connections'], local, SLOW);
			expect(checks.stdout).toContain(`asking it at ${url}`);
		},
		SLOW,
	);

	it(
		"token list prints a header, each token's clients, and columns that line up on a terminal",
		async () => {
			const db = await database();
			try {
				const cli = (args: string[]) => runCli(args, db.env, SLOW);
				expect((await cli(['token', 'create', '--name', 'n8n', '--scope', 'read'])).code).toBe(0);
				expect(
					(await cli(['token', 'create', '--name', 'a much longer token name', '--scope', 'admin']))
						.code,
				).toBe(0);
				// wide characters take two cells, a combining mark none
				const limited = await cli([
					'token',
					'create',
					'--name',
					'名前 nai\u0308ve',
					'--scope',
					'read',
					'--clients',
					'nosuchclient',
				]);
				expect(limited.code).toBe(0);
				// a client may be created after its token: a warning naming it, not a refusal
				expect(limited.stderr).toBe(
					"otobot-vault: warning: no client 'nosuchclient' exists yet: the token can fetch " +
						'credentials only of clients with those ids once they are created (check the ' +
						'spelling; `token revoke` withdraws it).\n',
				);
				const list = await cli(['token', 'list']);
				expect(list.code).toBe(0);
				const lines = list.stdout.trimEnd().split('\n');
				expect(lines).toHaveLength(4);
				expect(lines[0]).toMatch(
					/^ID\s+SCOPE\s+CLIENTS\s+STATE\s+PREFIX\s+NAME\s+EXPIRES\s+LAST USED$/,
				);
				// terminal cells: Han and kana two, combining marks none, the rest one
				const cells = (text: string) =>
					[...text].reduce(
						(sum, char) =>
							sum +
							(/\p{sc=Han}|\p{sc=Hiragana}|\p{sc=Katakana}/u.test(char)
								? 2
								: /\p{Mn}/u.test(char)
									? 0
									: 1),
						0,
					);
				/** The character index at which `line` reaches terminal cell `cell`. */
				const indexAtCell = (line: string, cell: number) => {
					let at = 0;
					while (cells(line.slice(0, at)) < cell) at += 1;
					return at;
				};
				for (const column of [
					'SCOPE',
					'CLIENTS',
					'STATE',
					'PREFIX',
					'NAME',
					'EXPIRES',
					'LAST USED',
				]) {
					const cell = lines[0]!.indexOf(column);
					for (const line of lines.slice(1)) {
						const at = indexAtCell(line, cell);
						expect(cells(line.slice(0, at))).toBe(cell);
						expect(line.slice(at - 2, at)).toBe('  ');
						expect(line[at]).not.toBe(' ');
					}
				}
				expect(lines.slice(1).join('\n')).toMatch(/ read\s+all\s+active\s+ovt_/);
				expect(lines.slice(1).join('\n')).toMatch(
					/ read\s+nosuchclient\s+active\s+ovt_[\w-]{6}\s+名前 nai\u0308ve /,
				);
				expect(lines.slice(1).join('\n')).toMatch(/ admin\s+all\s+active/);
			} finally {
				await db.drop();
			}
		},
		SLOW,
	);
});
