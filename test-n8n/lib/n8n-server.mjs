// `n8n start` on a free loopback port with an owner signed in, for what only the server does:
// the credential "Test" button (POST /rest/credentials/test).
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const BROWSER_ID = 'otobot-e2e';

/**
 * Starts `n8n start` for `n8n` (an N8n) and sets up its owner. A fresh n8n runs its ~100
 * migrations first: on a 2-core machine shared with other work that took over 120 s, hence the
 * bound of `readyWithinMs`.
 */
export async function startN8nServer(n8n, { readyWithinMs = 300_000 } = {}) {
	const env = await n8n.env();
	const url = `http://127.0.0.1:${env.N8N_PORT}`;
	const logFile = join(n8n.userFolder, 'server.log');
	const fd = openSync(logFile, 'w');
	const child = spawn(join(n8n.host.nodeBin, 'node'), [n8n.host.n8nBin, 'start'], {
		env,
		stdio: ['ignore', fd, fd],
	});
	closeSync(fd);
	let exited = false;
	child.on('exit', () => (exited = true));

	const stop = async () => {
		if (exited) return;
		const gone = new Promise((resolve) => child.on('exit', resolve));
		child.kill('SIGTERM');
		await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 15_000))]);
		if (!exited) child.kill('SIGKILL');
	};

	try {
		const deadline = Date.now() + readyWithinMs;
		for (;;) {
			if (exited)
				throw new Error(`n8n start exited:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
			const ready = await fetch(`${url}/healthz/readiness`).catch(() => undefined);
			if (ready?.ok) break;
			if (Date.now() > deadline)
				throw new Error(`n8n start was not ready within ${readyWithinMs / 1000} s`);
			await new Promise((resolve) => setTimeout(resolve, 500));
		}

		const setup = await fetch(`${url}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID },
			body: JSON.stringify({
				email: 'e2e@otobot.test',
				firstName: 'E2E',
				lastName: 'Owner',
				password: 'Otobot-e2e-Passw0rd',
			}),
		});
		if (!setup.ok) throw new Error(`owner setup -> ${setup.status} ${await setup.text()}`);
		const cookie = setup.headers
			.getSetCookie()
			.map((c) => c.split(';')[0])
			.join('; ');

		/** One REST call as the signed-in owner, as the editor makes it; resolves with {status, body}. */
		const request = async (method, path, body) => {
			const response = await fetch(`${url}${path}`, {
				method,
				headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID, cookie },
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			const text = await response.text();
			return { status: response.status, body: text ? JSON.parse(text) : undefined };
		};

		return {
			url,
			stop,
			request,
			/** What n8n's "Test" button shows for these credential values: {status, message}. */
			async testCredential(credential) {
				const response = await fetch(`${url}/rest/credentials/test`, {
					method: 'POST',
					headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID, cookie },
					body: JSON.stringify({ credentials: { id: '', name: 'e2e', ...credential } }),
				});
				const body = await response.json();
				if (!response.ok)
					throw new Error(`credential test -> ${response.status} ${JSON.stringify(body)}`);
				return body.data;
			},
		};
	} catch (error) {
		await stop();
		throw error;
	}
}
