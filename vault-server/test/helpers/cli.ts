import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Runs the built `otobot-vault` with exactly the given environment (plus PATH). */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<CliResult> {
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

/** Starts `otobot-vault serve` and resolves once it listens (or rejects with its output). */
export function startServe(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
	const child = spawn(process.execPath, [CLI, 'serve'], {
		env: { PATH: process.env.PATH ?? '', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	return new Promise((resolve, reject) => {
		const onData = (chunk: Buffer) => {
			output += chunk.toString();
			if (output.includes('Server listening')) resolve({ child, output: () => output });
		};
		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
	});
}
