import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/**
 * How long one CLI run may take before it counts as hung: a bound for a busy 2-core machine
 * (PGlite starts in WebAssembly), not a performance claim.
 */
export const CLI_RUN_BOUND_MS = 120_000;

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** The children the helpers started that have not exited yet: one-shot CLI runs, long-lived processes. */
const running = { runs: new Set<ChildProcess>(), processes: new Set<ChildProcess>() };

function track<T extends ChildProcess>(child: T, kind: keyof typeof running): T {
	running[kind].add(child);
	child.once('exit', () => running[kind].delete(child));
	return child;
}

/**
 * Kills `child` (SIGKILL) unless it already exited, and resolves once it has exited, so what it
 * held (the embedded database's lock, a port) is free when this resolves.
 */
export async function stopChild(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = once(child, 'exit');
	child.kill('SIGKILL');
	await exited;
}

/**
 * Kills the one-shot CLI runs (`runCli`) still running and waits for their exits: after each
 * test, so a test that timed out does not leave a run holding the embedded database for the next.
 */
export async function stopCliRuns(): Promise<void> {
	await Promise.all([...running.runs].map(stopChild));
}

/** Kills every child the helpers started (runs and `startProcess`) and waits for their exits. */
export async function stopChildren(): Promise<void> {
	await Promise.all([...running.runs, ...running.processes].map(stopChild));
}

/**
 * Runs the built `otobot-vault` with exactly the given environment (plus PATH), from `cwd` (where
 * it reads a `.env`) when given; the child is tracked, so stopChildren() kills it.
 */
export function runCli(
	args: string[],
	env: Record<string, string>,
	timeoutMs = CLI_RUN_BOUND_MS,
	cwd?: string,
): Promise<CliResult> {
	return new Promise((resolve) => {
		track(
			execFile(
				process.execPath,
				[CLI, ...args],
				{
					cwd,
					env: { PATH: process.env.PATH ?? '', ...env },
					timeout: timeoutMs,
					killSignal: 'SIGKILL',
				},
				(error, stdout, stderr) => {
					const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
					resolve({ code, stdout, stderr });
				},
			),
			'runs',
		);
	});
}

export interface ServeProcess {
	child: ChildProcess;
	/** The base URL it listens on, e.g. http://127.0.0.1:40123 */
	url: string;
	output: () => string;
	/** SIGKILL, resolved once the process exited. */
	stop: () => Promise<void>;
}

/** Starts `otobot-vault <args>` and resolves once its output matches `ready` (or rejects with its output). */
export function startProcess(
	args: string[],
	env: Record<string, string>,
	ready: RegExp,
): Promise<ServeProcess> {
	const child = track(
		spawn(process.execPath, [CLI, ...args], {
			env: { PATH: process.env.PATH ?? '', ...env },
			stdio: ['ignore', 'pipe', 'pipe'],
		}),
		'processes',
	);
	let output = '';
	return new Promise((resolve, reject) => {
		const onData = (chunk: Buffer) => {
			output += chunk.toString();
			const match = ready.exec(output);
			if (match)
				resolve({ child, url: match[1] ?? '', output: () => output, stop: () => stopChild(child) });
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

/**
 * False under `npm run mutation` (mutation/vitest.config.mjs sets OTOBOT_MUTATION): the built CLI
 * in dist/ holds none of the mutants, so a test of it would only cost minutes per run.
 */
export const runsBuiltCli = () => process.env.OTOBOT_MUTATION !== '1';
