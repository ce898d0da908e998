import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LoadOptions } from './load.js';

export interface Server {
	child: ChildProcess;
	url: string;
	rssMb(): number;
	stop(): Promise<void>;
}

/** Starts a Node process and resolves when it prints `Server listening at <url>` (or `ready`). */
export function startNodeProcess(
	script: string,
	args: string[],
	env: Record<string, string>,
	ready = /Server listening at (http:\/\/[\d.:]+)|refresher (started)/,
	nodeArgs: string[] = [],
): Promise<Server> {
	const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
		env: { PATH: process.env.PATH ?? '', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	return new Promise((resolve, reject) => {
		let output = '';
		const onLine = (line: string) => {
			if (output.length < 20_000) output += `${line}\n`;
			const match = ready.exec(line);
			if (match) {
				resolve({
					child,
					url: match[1] ?? '',
					rssMb: () => rssOf(child.pid!),
					stop: () =>
						new Promise((done) => {
							child.once('exit', () => done());
							child.kill('SIGTERM');
						}),
				});
			}
		};
		createInterface({ input: child.stdout! }).on('line', onLine);
		createInterface({ input: child.stderr! }).on('line', onLine);
		child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
	});
}

export function rssOf(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
	return Math.round(kb / 102.4) / 10;
}

export interface LoadResult {
	rps: number;
	total: number;
	p50: number;
	p99: number;
	errors: number;
}

/** Runs the load generator in a process of its own and returns its result; `signal` ends it early. */
export function runLoad(
	loadScript: string,
	options: LoadOptions,
	signal?: AbortSignal,
): Promise<LoadResult> {
	const child = spawn(process.execPath, [loadScript, JSON.stringify(options)], {
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	signal?.addEventListener('abort', () => child.kill('SIGINT'), { once: true });
	return new Promise((resolve, reject) => {
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.once('exit', (code) =>
			code === 0
				? resolve(JSON.parse(output.trim().split('\n').pop()!) as LoadResult)
				: reject(new Error(`load exited ${code}`)),
		);
	});
}
