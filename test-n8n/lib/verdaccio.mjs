// A local npm registry (verdaccio) on a free loopback port, installed once into a cache folder
// outside the repository from the lockfile in test-n8n/verdaccio/, with no uplink: it serves
// only what the test publishes to it.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './ports.mjs';

export const VERDACCIO_VERSION = '6.10.4';

const template = new URL('../verdaccio/', import.meta.url).pathname;

/**
 * Ensures verdaccio in `cacheDir` (default ~/.cache/otobot-verdaccio, or $OTOBOT_VERDACCIO_CACHE),
 * reused while the committed lockfile matches; returns the path of its start script. `env` is the
 * environment npm runs in (the n8n host's: Node 24 first on PATH).
 */
export function ensureVerdaccio({ cacheDir, env, log }) {
	const root =
		cacheDir ?? process.env.OTOBOT_VERDACCIO_CACHE ?? join(homedir(), '.cache', 'otobot-verdaccio');
	const dir = join(root, `verdaccio-${VERDACCIO_VERSION}`);
	const marker = join(dir, '.otobot-host.json');
	const bin = join(dir, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
	const lock = readFileSync(join(template, 'package-lock.json'));
	const wanted = createHash('sha256').update(lock).digest('hex');
	if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted && existsSync(bin)) return bin;

	log(`installing verdaccio ${VERDACCIO_VERSION} into ${dir} (about a minute the first time)`);
	mkdirSync(dir, { recursive: true });
	rmSync(marker, { force: true });
	copyFileSync(join(template, 'package.json'), join(dir, 'package.json'));
	copyFileSync(join(template, 'package-lock.json'), join(dir, 'package-lock.json'));
	execFileSync(
		'npm',
		['ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
		{ cwd: dir, env, stdio: ['ignore', 'inherit', 'inherit'] },
	);
	writeFileSync(marker, wanted);
	return bin;
}

const config = (storage) => `storage: ${JSON.stringify(storage)}
auth:
  htpasswd:
    file: ${JSON.stringify(join(storage, 'htpasswd'))}
    max_users: 1
uplinks: {}
packages:
  '**':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
log: { type: stdout, format: pretty, level: warn }
`;

/**
 * Starts verdaccio with an empty storage in `workDir` on a free 127.0.0.1 port, waits for it to
 * answer, and signs up the one publisher. `host` is ensureN8nHost()'s: its Node runs verdaccio. Resolves with `{url, publish(tarball), stop()}`;
 * `publish` runs `npm publish <tarball> --registry <url>` as that publisher.
 */
export async function startRegistry({ workDir, host, log, readyWithinMs = 60_000 }) {
	const { env } = host;
	const bin = ensureVerdaccio({ env, log });
	const dir = join(workDir, 'registry');
	const storage = join(dir, 'storage');
	mkdirSync(storage, { recursive: true });
	writeFileSync(join(dir, 'config.yaml'), config(storage));
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const logFile = join(dir, 'verdaccio.log');
	const fd = openSync(logFile, 'w');
	const child = spawn(
		join(host.nodeBin, 'node'),
		[bin, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
		{ env, stdio: ['ignore', fd, fd] },
	);
	closeSync(fd);
	let exited = false;
	child.on('exit', () => (exited = true));
	const stop = async () => {
		if (exited) return;
		const gone = new Promise((resolve) => child.on('exit', resolve));
		child.kill('SIGTERM');
		await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 10_000))]);
		if (!exited) child.kill('SIGKILL');
	};

	try {
		const deadline = Date.now() + readyWithinMs;
		for (;;) {
			if (exited) throw new Error(`verdaccio exited:\n${readFileSync(logFile, 'utf8')}`);
			const ping = await fetch(`${url}/-/ping`).catch(() => undefined);
			if (ping?.ok) break;
			if (Date.now() > deadline)
				throw new Error(`verdaccio did not answer within ${readyWithinMs / 1000} s`);
			await new Promise((resolve) => setTimeout(resolve, 300));
		}

		// npm's own sign-up request (what `npm adduser` sends); the answer carries the token
		const name = 'otobot-publisher';
		const signUp = await fetch(`${url}/-/user/org.couchdb.user:${name}`, {
			method: 'PUT',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ name, password: randomBytes(16).toString('hex'), type: 'user' }),
		});
		const { token } = await signUp.json();
		if (!signUp.ok || !token) throw new Error(`verdaccio sign-up -> ${signUp.status}`);
		const npmrc = join(dir, '.npmrc');
		writeFileSync(npmrc, `//127.0.0.1:${port}/:_authToken=${token}\n`, { mode: 0o600 });

		return {
			url,
			stop,
			logFile,
			publish(tarball) {
				execFileSync('npm', ['publish', tarball, '--registry', url, '--userconfig', npmrc], {
					cwd: dir,
					env,
					stdio: ['ignore', 'pipe', 'pipe'],
				});
			},
		};
	} catch (error) {
		await stop();
		throw error;
	}
}
