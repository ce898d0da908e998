import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { hasTestPostgres } from './helpers/databases.js';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { logFormatFor } from '../src/config/log-output.js';
import { CLI } from './helpers/cli.js';
import { createPostgresDatabase } from './helpers/databases.js';

const hasPostgres = hasTestPostgres('the first-start checks on PostgreSQL');
const ENV_EXAMPLE = fileURLToPath(new URL('../../.env.example', import.meta.url));
const STACK_LINE = /^\s+at /m;

const children: ChildProcess[] = [];

afterEach(async () => {
	await Promise.all(children.splice(0).map(stop));
});

/** SIGTERM, then resolves when the process has exited (at once if it already had). */
function stop(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	child.kill('SIGTERM');
	return exited;
}

/** A folder holding `.env.example` copied as `.env`, changed by `edit` when given: a first run. */
function folderWithEnv(edit: (text: string) => string = (text) => text): string {
	const folder = mkdtempSync(join(tmpdir(), 'otobot-first-start-'));
	copyFileSync(ENV_EXAMPLE, join(folder, '.env'));
	writeFileSync(join(folder, '.env'), edit(readFileSync(join(folder, '.env'), 'utf8')));
	return folder;
}

interface Run {
	child: ChildProcess;
	stdout: () => string;
	stderr: () => string;
	exited: Promise<number | null>;
}

/** `otobot-vault <args>` run from `folder` with only PATH and `env` in its environment. */
function runIn(folder: string, args: string[], env: Record<string, string> = {}): Run {
	const child = spawn(process.execPath, [CLI, ...args], {
		cwd: folder,
		env: { PATH: process.env.PATH ?? '', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	children.push(child);
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const exited = new Promise<number | null>((resolve) =>
		child.once('close', (code) => resolve(code)),
	);
	return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Resolves with the first group once stdout matches; rejects with the output if it exits. */
function printed(run: Run, pattern: RegExp): Promise<string> {
	return new Promise((resolve, reject) => {
		const check = () => {
			const match = pattern.exec(run.stdout());
			if (match) resolve(match[1] ?? match[0]);
		};
		run.child.stdout!.on('data', check);
		void run.exited.then((code) =>
			reject(new Error(`serve exited with ${code}: ${run.stdout()}${run.stderr()}`)),
		);
	});
}

/** The URL `serve` listens on (the port's last digit seen: a chunk may end inside it). */
const listening = (run: Run) => printed(run, /Server listening at (http:\/\/127\.0\.0\.1:\d+)\D/);

/** A TCP port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}

/** Asserts a failed start printed one line, without a stack, and returns that line. */
function oneLine(run: Run): string {
	expect(run.stderr().trimEnd().split('\n')).toHaveLength(1);
	expect(run.stderr()).not.toMatch(STACK_LINE);
	return run.stderr().trim();
}

describe('cp .env.example .env, then serve', () => {
	it('starts as copied: a development vault on the embedded database answers /health', async () => {
		const folder = folderWithEnv();
		const run = runIn(folder, ['serve'], { PORT: '0' });
		const url = await listening(run);
		const health = await fetch(`${url}/health`);
		expect(health.status).toBe(200);
		// not a terminal: one JSON object per line, for log collectors
		for (const line of run.stdout().trim().split('\n'))
			expect(() => JSON.parse(line)).not.toThrow();
		expect(run.stdout()).toContain(join(folder, '.vault-data', 'admin-token'));
		await stop(run.child);
	}, 180_000);
});

describe('a start-up failure is one line naming the variable and where it was set', () => {
	it('DATABASE_URL from .env with nothing listening: the file, the server, no password', async () => {
		const port = await closedPort();
		const folder = folderWithEnv(
			(text) => `${text}\nDATABASE_URL=postgres://otobot:pw-not-shown@127.0.0.1:${port}/otobot\n`,
		);
		const run = runIn(folder, ['serve']);
		expect(await run.exited).toBe(1);
		const line = oneLine(run);
		expect(line).toContain('DATABASE_URL');
		expect(line).toContain(join(folder, '.env'));
		expect(line).toContain(`postgres://otobot@127.0.0.1:${port}/otobot`);
		expect(line).toContain('ECONNREFUSED');
		expect(line).not.toContain('pw-not-shown');
	});

	it('a DATABASE_URL whose password is not percent-encoded: how to write it, no fragment of it', async () => {
		for (const url of [
			'postgres://otobot:p@ss/w0rd@127.0.0.1:5432/otobot',
			'postgres://nobody:s3cret@PW@host:abc/nope',
			'postgres://otobot:My%Secret@127.0.0.1:5432/otobot',
		]) {
			const folder = folderWithEnv((text) => `${text}\nDATABASE_URL=${url}\n`);
			const run = runIn(folder, ['serve']);
			expect(await run.exited).toBe(2);
			const line = oneLine(run);
			expect(line).toContain('DATABASE_URL is not a valid connection URL');
			expect(line).toContain('percent-encode');
			expect(line).toContain(join(folder, '.env'));
			for (const fragment of ['w0rd', 's3cret', 'Secret']) expect(line).not.toContain(fragment);
		}
	});

	it('a REDIS_URL that is not one: one line naming REDIS_URL, no fragment of its password', async () => {
		for (const [url, says] of [
			['http://:s3cret@127.0.0.1:6379', 'redis:// or rediss://'],
			['redis://:p@ss/w0rd@127.0.0.1:6379', 'percent-encode'],
			['redis://:My%Secret@127.0.0.1:6379', 'percent-encode'],
		] as const) {
			const folder = folderWithEnv((text) => `${text}\nREDIS_URL=${url}\n`);
			const run = runIn(folder, ['serve']);
			expect(await run.exited).toBe(2);
			const line = oneLine(run);
			expect(line).toContain('REDIS_URL');
			expect(line).toContain(says);
			for (const fragment of ['w0rd', 's3cret', 'Secret']) expect(line).not.toContain(fragment);
		}
	});

	it('a PORT another process holds: one line naming PORT, and the process exits', async () => {
		const holder = createServer();
		await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
		const { port } = holder.address() as { port: number };
		try {
			const folder = folderWithEnv((text) => `${text}\nPORT=${port}\n`);
			const run = runIn(folder, ['serve']);
			expect(await run.exited).toBe(2);
			expect(run.stderr()).not.toMatch(STACK_LINE);
			expect(run.stderr()).toContain(
				`PORT ${port} on 127.0.0.1 is already in use by another process`,
			);
			expect(run.stderr()).toContain(join(folder, '.env'));
		} finally {
			await new Promise((resolve) => holder.close(resolve));
		}
	});

	it.runIf(hasPostgres)('DATABASE_URL from .env with an unknown role', async () => {
		const server = new URL(process.env.TEST_DATABASE_URL!);
		server.username = 'no_such_role_otobot';
		server.password = 'pw-not-shown';
		server.pathname = '/otobot';
		const folder = folderWithEnv((text) => `${text}\nDATABASE_URL=${server.toString()}\n`);
		const run = runIn(folder, ['serve']);
		expect(await run.exited).toBe(1);
		const line = oneLine(run);
		expect(line).toMatch(
			/DATABASE_URL .*set in .*\.env\): role "no_such_role_otobot" does not exist/,
		);
		expect(line).not.toContain('pw-not-shown');
	});

	it('NODE_ENV=production from .env without a master key names both and the file', async () => {
		const folder = folderWithEnv((text) =>
			text.replace('# NODE_ENV=production', 'NODE_ENV=production'),
		);
		const run = runIn(folder, ['serve']);
		expect(await run.exited).toBe(2);
		const line = oneLine(run);
		expect(line).toContain('ENCRYPTION_MASTER_KEY is not set');
		expect(line).toContain(`NODE_ENV=production (set in ${join(folder, '.env')})`);
	});

	it('a value from the environment wins over .env and is named as such', async () => {
		const folder = folderWithEnv();
		const run = runIn(folder, ['serve'], { PORT: 'eighty' });
		expect(await run.exited).toBe(2);
		expect(oneLine(run)).toBe(
			'otobot-vault: PORT must be a whole number from 0 to 65535 (set in the environment)',
		);
	});

	it('names each wrong value of .env on the same line, never the value', async () => {
		const folder = folderWithEnv(
			(text) => `${text}\nLOG_FORMAT=xml\nENCRYPTION_MASTER_KEY=secret-not-hex\n`,
		);
		const formatRun = runIn(folder, ['serve']);
		expect(await formatRun.exited).toBe(2);
		expect(oneLine(formatRun)).toContain(
			`LOG_FORMAT must be one of json, pretty (set in ${join(folder, '.env')})`,
		);

		const keyRun = runIn(folder, ['serve'], { LOG_FORMAT: 'json' });
		expect(await keyRun.exited).toBe(2);
		const line = oneLine(keyRun);
		expect(line).toContain(`ENCRYPTION_MASTER_KEY must be 64 hexadecimal characters`);
		expect(line).toContain(join(folder, '.env'));
		expect(line).not.toContain('secret-not-hex');
	});

	it.runIf(hasPostgres)(
		'refuses a missing production key before touching an empty database',
		async () => {
			const database = await createPostgresDatabase();
			try {
				const folder = folderWithEnv(
					(text) =>
						`${text.replace('# NODE_ENV=production', 'NODE_ENV=production')}\nDATABASE_URL=${database.url}\n`,
				);
				const run = runIn(folder, ['serve']);
				expect(await run.exited).toBe(2);
				expect(oneLine(run)).toContain('ENCRYPTION_MASTER_KEY is not set');
				const db = openPostgresDatabase({ url: database.url, poolSize: 1 });
				const tables = await db.query(
					"SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
				);
				await db.close();
				expect(tables).toEqual([]);
			} finally {
				await database.drop();
			}
		},
	);
});

describe('log format', () => {
	it('is readable on a terminal and JSON elsewhere, unless LOG_FORMAT says which', () => {
		expect(logFormatFor('auto', true)).toBe('pretty');
		expect(logFormatFor('auto', false)).toBe('json');
		expect(logFormatFor('json', true)).toBe('json');
		expect(logFormatFor('pretty', false)).toBe('pretty');
	});

	it.runIf(hasPostgres)(
		'pretty: readable lines, and the new admin token file as a plain line of its own',
		async () => {
			const database = await createPostgresDatabase();
			try {
				const folder = folderWithEnv(
					(text) => `${text}\nDATABASE_URL=${database.url}\nLOG_FORMAT=pretty\n`,
				);
				const run = runIn(folder, ['serve'], { PORT: '0' });
				const tokenFile = join(folder, '.vault-data', 'admin-token');
				await printed(run, new RegExp(`\\n  cat ${tokenFile}\\n`));
				const lines = run.stdout().split('\n');
				expect(lines.filter((line) => line.startsWith('{'))).toEqual([]);
				expect(lines.some((line) => /INFO.*Server listening at/.test(line))).toBe(true);
				await stop(run.child);
			} finally {
				await database.drop();
			}
		},
		120_000,
	);
});
