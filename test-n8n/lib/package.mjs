// Builds and packs this package, then installs the tarball into an n8n user folder the way
// n8n's Community Nodes UI does (~/.n8n/nodes).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const repo = new URL('../../', import.meta.url).pathname;

export function buildAndPack(workDir) {
	execFileSync('npm', ['run', 'build:nodes', '--silent'], { cwd: repo, stdio: 'ignore' });
	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--pack-destination', workDir], {
			cwd: repo,
			encoding: 'utf8',
		}),
	);
	return { tarball: join(workDir, packed[0].filename), files: packed[0].files.map((f) => f.path) };
}

export function installIntoUserFolder(tarball, userFolder, env) {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	mkdirSync(nodesDir, { recursive: true });
	writeFileSync(join(nodesDir, 'package.json'), '{"name":"installed-nodes","private":true}\n');
	execFileSync('npm', ['install', tarball, '--omit=peer', '--no-audit', '--no-fund'], {
		cwd: nodesDir,
		env,
		stdio: 'ignore',
	});
	return join(nodesDir, 'node_modules', 'n8n-nodes-otobot');
}
