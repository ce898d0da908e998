import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { openVault, type OpenedVault } from '../../src/vault.js';
import { openTestDatabase, type Backend, type TestDatabase } from './databases.js';

export const TEST_MASTER_KEY = 'a3f1c2d4e5b6a7980f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778';
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdefgh';
export const INTERNAL_TOKEN = 'test-internal-token-0123456789abcdef';

/**
 * The most a vault ever logs: every level and a line for each request and answer. The secret
 * scans run with it, so that a secret the redaction lets through reaches the captured logs.
 */
export const VERBOSE_LOGS = { LOG_LEVEL: 'trace', LOG_REQUESTS: 'true' } as const;

/** Fails unless the logs hold request lines, proof that a scan searched verbose logs. */
export function expectRequestLines(logs: string): void {
	if (!logs.includes('"msg":"incoming request"'))
		throw new Error(
			'the scanned logs hold no request line: the vault did not run with VERBOSE_LOGS',
		);
}

/** Every log line the app wrote, to search for secrets. */
export class LogCapture extends Writable {
	lines: string[] = [];

	override _write(chunk: Buffer, _encoding: string, done: () => void) {
		this.lines.push(chunk.toString('utf8'));
		done();
	}

	text(): string {
		return this.lines.join('');
	}
}

export interface TestVault {
	app: FastifyInstance;
	vault: OpenedVault;
	database: TestDatabase;
	config: Config;
	logs: LogCapture;
	/**
	 * Resolves once the app has received every change notification sent before the call. A test
	 * that writes to the database directly, as another process would, waits for it before it
	 * fetches: the fetch cache hears of such a write only by notification (fetch-cache.ts).
	 */
	changesSeen(): Promise<void>;
	close(): Promise<void>;
}

/** Notifications reach a listener in commit order: once a marker sent now arrives, all before it have. */
async function changesSeenBy(app: FastifyInstance, database: TestDatabase): Promise<void> {
	const cache = app.fetchCache;
	if (!cache.listening) return;
	const marker = `test-sync-${randomUUID()}/none`;
	const seen = new Promise<void>((resolve) => {
		const invalidate = cache.invalidate.bind(cache);
		cache.invalidate = (key?: string) => {
			invalidate(key);
			if (key !== marker) return;
			delete (cache as { invalidate?: unknown }).invalidate;
			resolve();
		};
	});
	await database.db.query(`SELECT pg_notify('otobot_fetch_cache', $1)`, [marker]);
	await seen;
}

export function testConfig(env: Record<string, string> = {}): Config {
	return loadConfig({
		NODE_ENV: 'test',
		LOG_LEVEL: 'info',
		VAULT_DATA_DIR: '/nonexistent-test-data-dir',
		ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
		ADMIN_API_TOKEN: ADMIN_TOKEN,
		INTERNAL_API_TOKEN: INTERNAL_TOKEN,
		...env,
	});
}

/** A vault app on a fresh database of the given backend, with logs captured. */
export async function startTestVault(
	backend: Backend,
	env: Record<string, string> = {},
): Promise<TestVault> {
	const database = await openTestDatabase(backend);
	const config = testConfig(env);
	const vault = await openVault(config, { db: database.db });
	const logs = new LogCapture();
	const app = await buildApp({ config, db: database.db, keyring: vault.keyring, logStream: logs });
	await app.ready();
	return {
		app,
		vault,
		database,
		config,
		logs,
		changesSeen: () => changesSeenBy(app, database),
		async close() {
			await app.close();
			await database.dispose();
		},
	};
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const asAdmin = bearer(ADMIN_TOKEN);
export const asInternal = bearer(INTERNAL_TOKEN);

/**
 * One client per id, each named as its id, created by the admin over `inject`. Throws when the
 * vault refuses one.
 */
export async function addClients(vault: TestVault, ids: string[]): Promise<void> {
	for (const id of ids) {
		const answer = await vault.app.inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id, name: id },
		});
		if (answer.statusCode !== 201) throw new Error(`client ${id} refused: ${answer.statusCode}`);
	}
}

/**
 * The client `acme` and the OAuth2 service `crm` whose token endpoint is `tokenUrl` (the test
 * provider), with the OAuth app `vault-app` / `vault-app-secret`: the set-up of the refresh tests.
 * Throws when the vault refuses either.
 */
export async function addAcmeAndCrm(vault: TestVault, tokenUrl: string): Promise<void> {
	const client = await vault.app.inject({
		method: 'POST',
		url: '/v1/clients',
		headers: asAdmin,
		payload: { id: 'acme', name: 'Acme' },
	});
	const service = await vault.app.inject({
		method: 'POST',
		url: '/v1/services',
		headers: asAdmin,
		payload: {
			name: 'crm',
			display_name: 'CRM',
			oauth_type: 'oauth2',
			oauth_token_url: tokenUrl,
			oauth_client_id: 'vault-app',
			oauth_client_secret: 'vault-app-secret',
		},
	});
	if (client.statusCode !== 201 || service.statusCode !== 201)
		throw new Error(`set-up refused: ${client.statusCode} ${service.statusCode}`);
}
