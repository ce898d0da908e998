// The processes of the multi-process soak and how it talks to them (loopback only).
import { spawn } from 'node:child_process';
import { CLI, PROVIDER, freePort } from './processes.mjs';

export { CLI };

/** Child processes started by the soak, all killed by `killAll`. */
export class Processes {
	children = [];
	#provider;

	/** Starts `node <args>`; resolves with the first match of `ready` in its output. */
	start(args, env, ready) {
		const child = spawn(process.execPath, args, {
			env: { PATH: process.env.PATH, ...env },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		this.children.push(child);
		let output = '';
		return new Promise((resolve, reject) => {
			const onData = (chunk) => {
				output = (output + chunk).slice(-100_000);
				const match = ready.exec(output);
				if (match) resolve(match[1]);
			};
			child.stdout.on('data', onData);
			child.stderr.on('data', onData);
			child.once('exit', (code) =>
				reject(new Error(`${args.slice(-1)} exited with ${code}: ${output.slice(-2000)}`)),
			);
		});
	}

	/** The test OAuth2 provider (test/provider/test-provider.mjs); resolves with its base URL. */
	async startProvider() {
		const port = await this.start([PROVIDER], {}, /"port":(\d+)/);
		this.#provider = this.children.at(-1);
		return `http://127.0.0.1:${port}`;
	}

	/** `otobot-vault serve` on a free port; resolves with its URL once /health answers 200. */
	async startServe(env) {
		const port = await freePort();
		void this.start([CLI, 'serve'], { ...env, PORT: String(port) }, /^$/).catch(() => {});
		const url = `http://127.0.0.1:${port}`;
		for (let tries = 0; tries < 300; tries += 1) {
			if (
				await fetch(`${url}/health`).then(
					(r) => r.ok,
					() => false,
				)
			)
				return url;
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		throw new Error(`${url} never became healthy`);
	}

	/** Stops every vault process gracefully (SIGTERM: audit rows and refreshes under way finish). */
	async stopVaults() {
		const vaults = this.children.filter(
			(child) => child !== this.#provider && child.exitCode === null,
		);
		await Promise.all(
			vaults.map((child) => {
				const exited = new Promise((resolve) => child.once('exit', resolve));
				child.kill('SIGTERM');
				return exited;
			}),
		);
	}

	killAll(signal = 'SIGKILL') {
		for (const child of this.children) child.kill(signal);
	}
}

/** One vault request with a bearer token; answers `{status, body}`. */
export async function callVault(url, path, { token, method = 'GET', body } = {}) {
	const response = await fetch(`${url}${path}`, {
		method,
		headers: {
			authorization: `Bearer ${token}`,
			...(body ? { 'content-type': 'application/json' } : {}),
		},
		body: body ? JSON.stringify(body) : undefined,
		signal: AbortSignal.timeout(15_000),
	});
	return { status: response.status, body: await response.json().catch(() => ({})) };
}

/** Posts to the test provider's control routes (/_control, /_refresh-tokens, /_reset-stats). */
export const controlProvider = (provider, path, body) =>
	fetch(`${provider}${path}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
