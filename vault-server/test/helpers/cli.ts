import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Runs the built `otobot-vault` with exactly the given environment (plus PATH). */
export function runCli(
	args: string[],
	env: Record<string, string>,
	timeoutMs = 30_000,
): Promise<CliResult> {
	return new Promise((resolve) => {
		execFile(
			process.execPath,
			[CLI, ...args],
			{ env: { PATH: process.env.PATH ?? '', ...env }, timeout: timeoutMs },
			(error, stdout, stderr) => {
				const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
				resolve({ code, stdout, stderr });
			},
		);
	});
}

export interface ServeProcess {
	child: ChildProcess;
	/** The base URL it listens on, e.g. http://127.0.0.1:40123 */
	url: string;
	output: () => string;
}

/** Starts `otobot-vault <args>` and resolves once its output matches `ready` (or rejects with its output). */
export function startProcess(
	args: string[],
	env: Record<string, string>,
	ready: RegExp,
): Promise<ServeProcess> {
	const child = spawn(process.execPath, [CLI, ...args], {
		env: { PATH: process.env.PATH ?? '', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	return new Promise((resolve, reject) => {
		const onData = (chunk: Buffer) => {
			output += chunk.toString();
			const match = ready.exec(output);
			if (match) resolve({ child, url: match[1] ?? '', output: () => output });
		};
		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		child.once('exit', (code) =>
			reject(new Error(`otobot-vault ${args.join(' ')} exited with ${code}: ${output}`)),
		);
	});
}

/** Starts `otobot-vault serve`; resolves with its URL once it listens. */
export const startServe = (env: Record<string, string>) =>
	startProcess(['serve'], env, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
