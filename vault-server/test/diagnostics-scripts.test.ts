import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './helpers/cli.js';

// The design's `node monitor-tokens.js` and `node test-connections.js`, run as an operator would:
// from the repository root and from vault-server/, on the embedded database of `npm start`, with
// and without that vault running.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER = join(ROOT, 'vault-server');
// a busy machine opens the embedded database slowly: budgets, not assertions
const SLOW = 600_000;
const DEMO_SECRETS =
	/demo-test-api-key-not-a-real-secret|demo-test-password-not-real|demo-test-access-token-not-real/;

const freePort = () =>
	new Promise<number>((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});

describe('the design scripts on the embedded database', async () => {
	const dataDir = mkdtempSync(join(tmpdir(), 'otobot-scripts-'));
	const env = {
		PATH: process.env.PATH ?? '',
		VAULT_DATA_DIR: dataDir,
		PORT: String(await freePort()),
		LOG_LEVEL: 'info',
	};
	let serve: ChildProcess | undefined;

	/** `node <script> <args>` in `cwd`: the exit status and what it printed. */
	const script = (
		cwd: string,
		name: string,
		args: string[] = [],
		extra: Record<string, string> = {},
	) =>
		new Promise<{ code: number | null; output: string }>((resolve) => {
			execFile(
				process.execPath,
				[name, ...args],
				{ cwd, env: { ...env, ...extra }, timeout: SLOW },
				(error, stdout, stderr) =>
					resolve({
						code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
						output: stdout + stderr,
					}),
			);
		});

	afterAll(async () => {
		if (!serve || serve.exitCode !== null || serve.signalCode !== null) return;
		const exited = new Promise((resolve) => serve!.once('exit', resolve));
		serve.kill('SIGTERM');
		await exited;
	});

	it(
		'work from the root and from vault-server/ with no vault running',
		async () => {
			const inserted = await script(SERVER, 'test-connections.js', ['--insert-test-data']);
			expect(inserted.output).toContain('created client demo-test-client');
			expect(inserted.output).toContain(`ADMIN_TOKEN="$(cat ${join(dataDir, 'admin-token')})"`);
			expect(inserted.code).toBe(0);

			const checked = await script(ROOT, 'test-connections.js');
			expect(checked.output).toMatch(/^OK\s+database/m);
			// the demo services' test_url is the vault's own /health, not running now
			expect(checked.output).toMatch(
				/^SKIPPED\s+demo-test-client\/demo-test-api-key\s+test_url is the vault's API, not running/m,
			);
			expect(checked.output).toContain('All checks passed.');
			expect(checked.code).toBe(0);

			const monitored = await script(ROOT, 'monitor-tokens.js', ['--json']);
			expect(JSON.parse(monitored.output).counts.connections).toBe(3);
			expect(monitored.code).toBe(0);
			expect(inserted.output + checked.output + monitored.output).not.toMatch(DEMO_SECRETS);
		},
		SLOW,
	);

	it(
		'work beside a running vault, which runs the checks and the demo data changes',
		async () => {
			// another port than the demo data was inserted under, and a PUBLIC_URL this machine cannot
			// reach: the checks ask the vault where it answers
			const port = await freePort();
			serve = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], {
				cwd: ROOT,
				env: { ...env, PUBLIC_URL: 'https://vault.example.invalid' },
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			let log = '';
			await new Promise<void>((resolve, reject) => {
				const onData = (chunk: Buffer) => {
					log += chunk.toString();
					if (log.includes('Server listening at')) resolve();
				};
				serve!.stdout!.on('data', onData);
				serve!.stderr!.on('data', onData);
				serve!.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${log}`)));
			});

			const checked = await script(ROOT, 'test-connections.js');
			expect(checked.output).toContain(`asking it at http://127.0.0.1:${port}`);
			expect(checked.output).toMatch(
				new RegExp(`^OK\\s+API health\\s+http://127\\.0\\.0\\.1:${port}/health: ok`, 'm'),
			);
			for (const service of ['demo-test-api-key', 'demo-test-login', 'demo-test-oauth'])
				expect(checked.output).toMatch(
					new RegExp(
						`^OK\\s+demo-test-client/${service}\\s+the vault's own test_url answered 2xx`,
						'm',
					),
				);
			expect(checked.output).toContain('All checks passed.');
			expect(checked.code).toBe(0);

			const monitored = await script(SERVER, 'monitor-tokens.js', ['--json']);
			expect(JSON.parse(monitored.output).counts.connections).toBe(3);
			expect(monitored.code).toBe(0);

			// the stored test_url follows too when the data is inserted again
			const reinserted = await script(ROOT, 'test-connections.js', ['--insert-test-data']);
			expect(reinserted.output).toContain(
				`updated service demo-test-api-key (test_url now http://127.0.0.1:${port}/health)`,
			);
			expect(reinserted.code).toBe(0);

			// a wrong token, then none: one line saying what to do, no stack trace, exit 1
			const stack = /^\s+at /m;
			for (const name of ['test-connections.js', 'monitor-tokens.js']) {
				const refused = await script(ROOT, name, [], { ADMIN_API_TOKEN: 'wrongwrongwrongwrong12' });
				expect(refused.output).toMatch(
					/^otobot-vault: The running vault at http:\/\/127\.0\.0\.1:\d+ refused the admin token from ADMIN_API_TOKEN \(set in the environment\) \(HTTP 401 UNAUTHORIZED: .*set ADMIN_API_TOKEN to a valid admin token/m,
				);
				expect(refused.output).not.toMatch(stack);
				expect(refused.output).not.toContain('wrongwrongwrongwrong12');
				expect(refused.code).toBe(1);
			}
			const tokenFile = join(dataDir, 'admin-token');
			renameSync(tokenFile, `${tokenFile}.away`);
			try {
				for (const [name, args] of [
					['test-connections.js', ['--insert-test-data']],
					['monitor-tokens.js', []],
				] as const) {
					const tokenless = await script(ROOT, name, [...args]);
					expect(tokenless.output).toContain(
						`this command asks it over its API, which needs an admin token, and none is here (no ADMIN_API_TOKEN, no ${tokenFile})`,
					);
					expect(tokenless.output.trimEnd().split('\n')).toHaveLength(1);
					expect(tokenless.code).toBe(1);
				}
			} finally {
				renameSync(`${tokenFile}.away`, tokenFile);
			}

			const removed = await script(ROOT, 'test-connections.js', ['--remove-test-data']);
			expect(removed.output).toContain('removed client demo-test-client and its connections');
			expect(removed.code).toBe(0);

			const adminToken = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
			const everything =
				checked.output + monitored.output + reinserted.output + removed.output + log;
			expect(everything).not.toMatch(DEMO_SECRETS);
			expect(everything).not.toContain(adminToken);
		},
		SLOW,
	);
});
