import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `docker compose` (v2 plugin) or `docker-compose`; undefined when neither runs. */
function composeCommand(): string[] | undefined {
	const works = (command: string, args: string[]) =>
		spawnSync(command, [...args, 'version'], { stdio: 'ignore' }).status === 0;
	if (works('docker', ['compose'])) return ['docker', 'compose'];
	if (works('docker-compose', [])) return ['docker-compose'];
	return undefined;
}

const hasDocker = spawnSync('docker', ['--version'], { stdio: 'ignore' }).status === 0;
const compose = composeCommand();
if (!hasDocker && !compose) {
	console.warn(
		'compose.test.ts skipped: no `docker` binary on this machine to check docker-compose.yml with',
	);
}

/** .env.example with the values an operator must fill in, as `cp .env.example .env` then edits. */
function exampleEnvFile(): string {
	const file = join(mkdtempSync(join(tmpdir(), 'otobot-compose-')), '.env');
	const example = readFileSync(join(ROOT, '.env.example'), 'utf8')
		.replace(/^ENCRYPTION_MASTER_KEY=$/m, `ENCRYPTION_MASTER_KEY=${'ab'.repeat(32)}`)
		.replace(/^POSTGRES_PASSWORD=.*$/m, 'POSTGRES_PASSWORD=compose-check-password');
	writeFileSync(file, example);
	return file;
}

describe.runIf(hasDocker || compose)('docker-compose.yml', () => {
	it('is valid for each profile, with the services the README names', () => {
		expect(
			compose,
			'docker is here but neither `docker compose` nor `docker-compose` runs',
		).toBeDefined();
		const envFile = exampleEnvFile();
		const run = (...args: string[]) =>
			execFileSync(compose![0]!, [...compose!.slice(1), '--env-file', envFile, ...args], {
				cwd: ROOT,
				env: { ...process.env, OTOBOT_ENV_FILE: envFile },
				encoding: 'utf8',
			});
		for (const profile of [[], ['--profile', 'api'], ['--profile', 'n8n']])
			run(...profile, 'config', '--quiet');
		const services = run('--profile', 'api', '--profile', 'n8n', 'config', '--services')
			.split('\n')
			.filter(Boolean);
		expect(services.sort()).toEqual(['api-internal', 'n8n', 'postgres', 'token-refresher']);
		const config = run('--profile', 'api', 'config');
		expect(config).toContain('REFRESHER_ENABLED');
		expect(config).toContain('n8nio/n8n:2.41.1');
		expect(config).toContain('/docker-entrypoint-initdb.d/');
	});
});
