import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER = join(ROOT, 'vault-server');
const scripts = (folder: string) =>
	(
		JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as {
			scripts: Record<string, string>;
		}
	).scripts;
// a bound for a busy 2-core machine, not a performance claim
const SLOW = 300_000;

describe('npm start', () => {
	it(
		'builds quietly: the admin-token hint is not preceded by the build table',
		async () => {
			const start = scripts(ROOT).start!;
			const [build] = start.split(' && ');
			// the build step of `npm start` runs the quiet build of the vault-server workspace
			expect(build).toBe('npm run --silent build:quiet --workspace vault-server');
			const quiet = scripts(SERVER)['build:quiet']!;
			const [bundle, ...rest] = quiet.split(' && ');
			expect(rest).toEqual(['node build/console-build.mjs']);
			// run its bundler step into a scratch folder (dist/ is in use by other tests): no output
			const out = mkdtempSync(join(tmpdir(), 'otobot-start-build-'));
			try {
				const [command, ...args] = bundle!.split(' ');
				expect(command).toBe('tsup');
				const output = await new Promise<string>((resolve, reject) =>
					execFile(
						join(ROOT, 'node_modules', '.bin', 'tsup'),
						[...args, '--out-dir', out],
						{ cwd: SERVER, timeout: SLOW },
						(error, stdout, stderr) => (error ? reject(error) : resolve(stdout + stderr)),
					),
				);
				expect(output).toBe('');
			} finally {
				rmSync(out, { recursive: true, force: true });
			}
		},
		SLOW,
	);
});
