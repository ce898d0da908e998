import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runsHere } from './helpers/skips.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPOSE_TEXT = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
/** The file as a compose client reads it: YAML merge keys (`<<: *vault`) resolved. */
const compose = parse(COMPOSE_TEXT, { merge: true }) as { services: Record<string, any> } & Record<
	string,
	any
>;

/** The Compose Specification's schema, vendored with its source and version (see its README). */
const validateCompose = new Ajv2020({ allErrors: true, strict: false }).compile(
	JSON.parse(readFileSync(new URL('./compose-spec/compose-spec.json', import.meta.url), 'utf8')),
);

const envExampleKeys = new Set(
	readFileSync(join(ROOT, '.env.example'), 'utf8')
		.split('\n')
		.map((line) => /^([A-Z0-9_]+)=/.exec(line)?.[1])
		.filter(Boolean),
);

describe('docker-compose.yml, read without any compose client', () => {
	it('is valid against the Compose Specification schema, which rejects a broken file', () => {
		expect(validateCompose(compose), JSON.stringify(validateCompose.errors)).toBe(true);
		const broken = structuredClone(compose);
		broken.services.postgres.ports = { 5432: 5432 };
		broken.services.n8n.restart = ['always'];
		expect(validateCompose(broken)).toBe(false);
		expect(validateCompose.errors!.map((e) => e.instancePath)).toEqual(
			expect.arrayContaining(['/services/postgres/ports', '/services/n8n/restart']),
		);
	});

	it('has the services, profiles, images and commands the README names', () => {
		const { services } = compose;
		expect(Object.keys(services).sort()).toEqual([
			'api-internal',
			'n8n',
			'postgres',
			'token-refresher',
		]);
		expect(services.postgres.profiles).toBeUndefined();
		expect(services.postgres).toMatchObject({ image: 'postgres:15', container_name: 'postgres' });
		for (const name of ['api-internal', 'token-refresher']) {
			expect(services[name]).toMatchObject({
				profiles: ['api'],
				image: 'otobot-vault:local',
				build: { context: '.', dockerfile: 'vault-server/Dockerfile' },
				depends_on: { postgres: { condition: 'service_healthy' } },
			});
		}
		expect(existsSync(join(ROOT, services['api-internal'].build.dockerfile))).toBe(true);
		expect(services['api-internal'].command).toEqual(['serve']);
		expect(services['token-refresher'].command).toEqual(['refresher']);
		expect(services['api-internal'].ports).toEqual([
			'${VAULT_BIND:-127.0.0.1}:${VAULT_PORT:-3001}:3001',
		]);
		expect(services.n8n).toMatchObject({ profiles: ['n8n'], image: 'n8nio/n8n:2.41.1' });
		expect(Object.keys(compose.volumes).sort()).toEqual([
			'n8n-data',
			'postgres-data',
			'vault-data',
		]);
	});

	it('sets the environment the README names, and the schema script runs at first start', () => {
		const { services } = compose;
		for (const name of ['api-internal', 'token-refresher']) {
			const environment = services[name].environment;
			// the stack sets these for the containers; secrets come only from the env_file
			expect(Object.keys(environment)).toEqual(
				expect.arrayContaining(['DATABASE_URL', 'HOST', 'PORT', 'VAULT_DATA_DIR']),
			);
			expect(environment).toMatchObject({ HOST: '0.0.0.0', PORT: '3001' });
			expect(environment.DATABASE_URL).toContain('@postgres:5432/');
			expect(services[name].env_file).toBe('${OTOBOT_ENV_FILE:-.env}');
		}
		// only the dedicated refresher process refreshes in the background
		expect(services['api-internal'].environment.REFRESHER_ENABLED).toBe('false');
		expect(services['token-refresher'].environment.REFRESHER_ENABLED).toBeUndefined();
		expect(services.n8n.environment.N8N_CUSTOM_EXTENSIONS).toBe('/opt/n8n-nodes-otobot');
		const initScript = services.postgres.volumes.find((v: string) =>
			v.includes('/docker-entrypoint-initdb.d/'),
		);
		expect(initScript).toMatch(/^\.\/sql\/create-frontend-database\.sql:/);
		expect(existsSync(join(ROOT, 'sql/create-frontend-database.sql'))).toBe(true);
	});

	it('needs no variable that .env.example does not list (the others have defaults)', () => {
		const references = [...COMPOSE_TEXT.matchAll(/\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}/g)];
		expect(references.length).toBeGreaterThan(5);
		const required = references
			.filter(([, , rest]) => !rest?.replace(/^:/, '').startsWith('-'))
			.map(([, name]) => name!);
		expect(required).toContain('POSTGRES_PASSWORD');
		expect(required.filter((name) => !envExampleKeys.has(name))).toEqual([]);
		expect(envExampleKeys).toContain('ENCRYPTION_MASTER_KEY');
	});
});

/** `docker compose` (v2 plugin) or `docker-compose`; undefined when neither runs. */
function composeClient(): string[] | undefined {
	const works = (command: string, args: string[]) =>
		spawnSync(command, [...args, 'version'], { stdio: 'ignore' }).status === 0;
	if (works('docker', ['compose'])) return ['docker', 'compose'];
	if (works('docker-compose', [])) return ['docker-compose'];
	return undefined;
}

const client = composeClient();

/** .env.example with the values an operator must fill in, as `cp .env.example .env` then edits. */
function exampleEnvFile(): string {
	const file = join(mkdtempSync(join(tmpdir(), 'otobot-compose-')), '.env');
	const example = readFileSync(join(ROOT, '.env.example'), 'utf8')
		.replace(/^ENCRYPTION_MASTER_KEY=$/m, `ENCRYPTION_MASTER_KEY=${'ab'.repeat(32)}`)
		.replace(/^POSTGRES_PASSWORD=.*$/m, 'POSTGRES_PASSWORD=compose-check-password')
		.replace(/^PUBLIC_URL=$/m, 'PUBLIC_URL=http://localhost:3001');
	writeFileSync(file, example);
	return file;
}

// CI installs a compose client (.ci/run); elsewhere the schema checks above stand without one
describe.runIf(
	runsHere(
		'`docker compose config`',
		client ? undefined : 'neither `docker compose` nor `docker-compose` runs on this machine',
	),
)('docker-compose.yml, read by a compose client', () => {
	it('is valid for each profile, with the services the README names', () => {
		const envFile = exampleEnvFile();
		const run = (...args: string[]) =>
			execFileSync(client![0]!, [...client!.slice(1), '--env-file', envFile, ...args], {
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
