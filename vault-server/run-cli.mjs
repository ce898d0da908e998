// Runs `otobot-vault <command> <args>` from the built CLI (dist/cli.js), building it first when
// it is missing. Shared by the design's scripts (monitor-tokens.js and test-connections.js, here
// and at the repository root) and by `npm run vault -- <command>` at the root, which runs this
// file directly. The CLI runs where the operator keeps .env and .vault-data: the current folder
// when it holds either, else the repository root (where `npm start` runs).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, 'dist', 'cli.js');

/** Runs the CLI with `args` (the command first) and exits with its status. */
export function runCli(args) {
	if (!existsSync(cli)) {
		process.stderr.write(
			'dist/cli.js is missing: building it with `npx tsup` (or run `npm run build -w vault-server`)...\n',
		);
		const build = spawnSync('npx', ['tsup'], {
			cwd: here,
			stdio: ['ignore', 2, 2],
			shell: process.platform === 'win32',
		});
		if (build.status !== 0) {
			process.stderr.write(
				'The build failed. Run `npm ci` at the repository root, then `npm run build -w vault-server`.\n',
			);
			process.exit(1);
		}
	}
	const local = ['.env', '.vault-data'].some((name) => existsSync(name));
	const cwd = local ? process.cwd() : dirname(here);
	const result = spawnSync(process.execPath, [cli, ...args], { cwd, stdio: 'inherit' });
	process.exit(result.status ?? 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	runCli(process.argv.slice(2));
}
