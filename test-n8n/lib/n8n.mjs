// Runs the n8n CLI against one user folder: imports and headless executions, output to a file
// (piping n8n's output into a reader that stops early makes it spin and ignore SIGTERM).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { freePort } from './ports.mjs';

/** The JSON n8n prints after its log lines: from the first line that starts with `{`. */
export function parseExecutionOutput(output) {
	const lines = output.split('\n');
	const start = lines.findIndex((line) => line.startsWith('{'));
	if (start === -1) return undefined;
	for (let end = lines.length; end > start; end--) {
		try {
			return JSON.parse(lines.slice(start, end).join('\n'));
		} catch {
			// trailing log lines after the JSON: try a shorter slice
		}
	}
	return undefined;
}

export class N8n {
	constructor({ host, userFolder, encryptionKey, customExtensions, extraEnv = {} }) {
		this.host = host;
		this.extraEnv = extraEnv;
		this.customExtensions = customExtensions;
		this.userFolder = userFolder;
		this.encryptionKey = encryptionKey;
		this.runs = 0;
	}

	async env() {
		return {
			...this.host.env,
			N8N_USER_FOLDER: this.userFolder,
			N8N_ENCRYPTION_KEY: this.encryptionKey,
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_TEMPLATES_ENABLED: 'false',
			N8N_HIRING_BANNER_ENABLED: 'false',
			DB_SQLITE_POOL_SIZE: '1',
			N8N_HOST: '127.0.0.1',
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_PORT: String(await freePort()),
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			...(this.customExtensions ? { N8N_CUSTOM_EXTENSIONS: this.customExtensions } : {}),
			...this.extraEnv,
		};
	}

	/** Runs `n8n <args>` to completion; resolves with the exit code and everything it printed. */
	async run(args, { timeoutMs = 120_000 } = {}) {
		this.runs += 1;
		const outputFile = join(this.userFolder, `cli-${this.runs}.log`);
		const fd = openSync(outputFile, 'w');
		const child = spawn(join(this.host.nodeBin, 'node'), [this.host.n8nBin, ...args], {
			env: await this.env(),
			stdio: ['ignore', fd, fd],
		});
		closeSync(fd);
		const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
		const code = await new Promise((resolve) =>
			child.on('exit', (c, signal) => resolve(c ?? signal)),
		);
		clearTimeout(timer);
		return { code, output: readFileSync(outputFile, 'utf8') };
	}

	async mustRun(args) {
		const { code, output } = await this.run(args);
		if (code !== 0) throw new Error(`n8n ${args.join(' ')} exited ${code}:\n${output}`);
		return output;
	}

	/**
	 * Executes a stored workflow headless. Judged by the run data n8n prints, not by the exit
	 * code: n8n occasionally crashes at exit after a complete, stored run.
	 */
	async execute(workflowId, { timeoutMs } = {}) {
		const args = ['execute', `--id=${workflowId}`, '--rawOutput'];
		const { code, output } = await this.run(args, { timeoutMs });
		return { code, output, result: parseExecutionOutput(output) };
	}
}

/** The JSON items a node produced in an execution result, or undefined when it did not run. */
export function nodeOutput(result, nodeName) {
	const runs = result?.data?.resultData?.runData?.[nodeName];
	return runs?.[0]?.data?.main?.[0]?.map((item) => item.json);
}

/** The error an execution stopped on, as n8n reports it. */
export function executionError(result) {
	return result?.data?.resultData?.error;
}
