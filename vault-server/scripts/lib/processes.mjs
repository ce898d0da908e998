// Processes the soak and timing scripts run on loopback: the built vault CLI and the test provider.
import { spawn, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const PROVIDER = fileURLToPath(
	new URL('../../test/provider/test-provider.mjs', import.meta.url),
);

/** Starts a Node script; resolves with the first match of `ready` in its output. */
function start(script, args, env, ready) {
	const child = spawn(process.execPath, [script, ...args], {
		env: { PATH: process.env.PATH ?? '', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	return new Promise((resolve, reject) => {
		const onLine = (line) => {
			if (output.length < 50_000) output += `${line}\n`;
			const match = ready.exec(line);
			if (match) resolve({ child, match, output: () => output });
		};
		createInterface({ input: child.stdout }).on('line', onLine);
		createInterface({ input: child.stderr }).on('line', onLine);
		child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
	});
}

/** `otobot-vault serve` on a free loopback port; resolves once GET /health answers 200. */
export async function startVault(env) {
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const child = spawn(process.execPath, [CLI, 'serve'], {
		env: {
			PATH: process.env.PATH ?? '',
			HOST: '127.0.0.1',
			PORT: String(port),
			// a production serve refuses to start without it
			PUBLIC_URL: url,
			...env,
		},
		stdio: ['ignore', 'ignore', 'inherit'],
	});
	const exited = new Promise((_, reject) =>
		child.once('exit', (code) => reject(new Error(`serve exited with ${code}`))),
	);
	const deadline = Date.now() + 60_000;
	try {
		for (;;) {
			const healthy = fetch(`${url}/health`).then(
				(r) => r.ok,
				() => false,
			);
			if (await Promise.race([healthy, exited])) break;
			if (Date.now() > deadline) throw new Error('serve did not answer /health within 60 s');
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
	} catch (error) {
		await stop(child);
		throw error;
	}
	return { child, url, stop: () => stop(child) };
}

/** test/provider/test-provider.mjs: an OAuth2 token endpoint for the refreshes. */
export async function startProvider() {
	const { child, match } = await start(PROVIDER, [], {}, /\{"port":(\d+)\}/);
	let stopping = false;
	// the soak counts on it: say so when it goes away, and when
	child.once('exit', (code, signal) => {
		if (!stopping)
			console.error(
				`test provider exited unexpectedly (${signal ?? code}) at ${new Date().toISOString()}`,
			);
	});
	const url = `http://127.0.0.1:${match[1]}`;
	const post = (path, body) =>
		fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
	return {
		tokenUrl: `${url}/token`,
		control: (settings) => post('/_control', settings),
		stats: () => fetch(`${url}/_stats`).then((r) => r.json()),
		stop: () => {
			stopping = true;
			return stop(child);
		},
	};
}

/** Runs the CLI once; resolves with its exit code and output. */
export function runCli(args, env) {
	return new Promise((resolve) => {
		execFile(
			process.execPath,
			[CLI, ...args],
			{ env: { PATH: process.env.PATH ?? '', ...env } },
			(error, stdout, stderr) => resolve({ code: error ? error.code : 0, output: stdout + stderr }),
		);
	});
}

export function stop(child) {
	if (child.exitCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		child.once('exit', () => resolve());
		child.kill('SIGTERM');
		setTimeout(() => child.kill('SIGKILL'), 5000).unref();
	});
}

export function rssMb(pid) {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** A TCP port free on 127.0.0.1 now (the OS picks it; the caller binds it soon after). */
export function freePort() {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolve(port));
		});
	});
}
