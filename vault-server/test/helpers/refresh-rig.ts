import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import type { Actor } from '../../src/domain/api-tokens.js';
import { AuditWriter } from '../../src/domain/audit-writer.js';
import { openCredentialSecret } from '../../src/domain/connection-secrets.js';
import { ConnectionRefresher } from '../../src/domain/refresh/connection-refresher.js';
import { accessTokenSha256 } from '../../src/domain/refresh/refused-token.js';
import { refreshStore } from '../../src/storage/refresh-store.js';
import { VaultError } from '../../src/errors.js';
import type { Backend } from './databases.js';
import { TestProvider } from './test-provider.js';
import { asAdmin, startTestVault, type TestVault } from './vault-app.js';

// The rig of the refresh-decision tests (refresh-decision-*.test.ts): each rule of the refresh
// decision (domain/refresh/connection-refresher.ts, refresh-connection.ts, refused-token.ts), with
// refreshers of the test's own over one vault's database and the real test OAuth2 provider: small
// enough to rerun for every mutant of `npm run mutation -- refresh-decision`. refresh.test.ts,
// compare-refresh.test.ts, manual-refresh.test.ts and refresh-backoff.test.ts test the same
// through requests.

export const SKEW_SECONDS = 60;
export const MANUAL_INTERVAL_MS = 60_000;
/** The caller of a fetch or a manual refresh: an admin token from the database. */
export const ACTOR: Actor = {
	id: 'tok-1',
	name: 'the caller',
	scope: 'admin',
	clients: null,
	source: 'database',
};

/** A pino-like logger of the test's own: every call, by level. */
export class RecordingLog {
	calls: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
	level = 'info';
	child() {
		return this;
	}
	#log = (level: string) => (fields: Record<string, unknown>, msg: string) =>
		this.calls.push({ level, fields, msg });
	trace = this.#log('trace');
	debug = this.#log('debug');
	info = this.#log('info');
	warn = this.#log('warn');
	error = this.#log('error');
	fatal = this.#log('fatal');
	silent = () => {};
}

/** The lowercase hex SHA-256 of an access token, as a compare-and-refresh caller sends it. */
export const hashOf = (token: string) => accessTokenSha256(token).toString('hex');

/** The error `promise` rejects with, or fails the test when it resolves. */
export async function refusal(promise: Promise<unknown>): Promise<VaultError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(VaultError);
	return error as VaultError;
}

type RefresherOptions = ConstructorParameters<typeof ConnectionRefresher>[0];

/**
 * Registers, in the calling `describe`, a vault on `backend` (refresher off, insecure OAuth URLs
 * allowed) and a test provider for the whole block, stopped in `afterAll`, and puts the provider
 * back to `ok` with fresh stats before each test. Services: `crm` (oauth2, keeps `instance_url`),
 * `shaky` (oauth2), `machine` (client credentials, scopes `read,write`), `bare` (client
 * credentials, no scopes), `keys` (api_key), `login` (basic). `provider` and `vault` are set once
 * `beforeAll` has run: read them from the rig, do not destructure them.
 */
export function registerRefreshRig(backend: Backend) {
	let provider: TestProvider;
	let vault: TestVault;
	let audit: AuditWriter;
	let count = 0;

	const db = () => vault.database.db;
	const admin = async (method: 'POST' | 'PUT', url: string, payload: unknown) => {
		const answer = await vault.app.inject({ method, url, headers: asAdmin, payload: payload! });
		expect(`${url} ${answer.statusCode}`).toMatch(/ 2\d\d$/);
	};
	const row = async (clientId: string, service = 'crm') =>
		(await refreshStore(db()).readForRefresh(clientId, service))!;

	beforeAll(async () => {
		provider = await TestProvider.start();
		vault = await startTestVault(backend, {
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
		});
		audit = new AuditWriter(db(), vault.vault.keyring);
		const oauth = { oauth_token_url: provider.tokenUrl, oauth_client_id: 'vault-app' };
		for (const service of [
			{ name: 'crm', oauth_type: 'oauth2', answer_fields: ['instance_url'], ...oauth },
			{ name: 'shaky', oauth_type: 'oauth2', ...oauth },
			{
				name: 'machine',
				oauth_type: 'oauth2_client_credentials',
				oauth_scopes: 'read write',
				scope_separator: ',',
				...oauth,
			},
			{ name: 'bare', oauth_type: 'oauth2_client_credentials', ...oauth },
			{ name: 'keys', oauth_type: 'api_key' },
			{ name: 'login', oauth_type: 'basic' },
		])
			await admin('POST', '/v1/services', {
				display_name: service.name,
				...(service.oauth_type.startsWith('oauth2')
					? { oauth_client_secret: 'vault-app-secret' }
					: {}),
				...service,
			});
	});
	afterAll(async () => {
		await vault?.close();
		await provider?.stop();
	});
	beforeEach(async () => {
		await provider.control({
			mode: 'ok',
			delayMs: 0,
			rotate: false,
			expiresIn: 3600,
			omitRefreshToken: false,
			answerExtra: {},
		});
		await provider.resetStats();
	});

	return {
		/** The test OAuth2 provider (from `beforeAll` on). */
		get provider() {
			return provider;
		},
		/** The vault (from `beforeAll` on); its keyring is `vault.vault.keyring`. */
		get vault() {
			return vault;
		},
		/** The vault's database. */
		db,
		/** How many token requests the provider has had since this test began. */
		calls: async () => (await provider.stats()).tokenCalls,
		/** The connection row a refresh reads (`readForRefresh`); it must exist. */
		row,
		/** Runs `UPDATE connections SET <assignments>` on one connection. */
		set: (clientId: string, assignments: string, service = 'crm') =>
			db().query(`UPDATE connections SET ${assignments} WHERE client_id = $1 AND service = $2`, [
				clientId,
				service,
			]),
		/**
		 * A new client with a connection to `service` (`body` added to the PUT), and its id; for crm,
		 * tokens `at-<id>`/`rt-<id>` the provider can refresh.
		 */
		connect: async (service = 'crm', body: Record<string, unknown> = {}) => {
			count += 1;
			const clientId = `c${count}`;
			await admin('POST', '/v1/clients', { id: clientId, name: clientId });
			const tokens =
				service === 'crm'
					? { access_token: `at-${clientId}`, refresh_token: `rt-${clientId}`, expires_in: 3600 }
					: {};
			if (service === 'crm') await provider.allowRefreshToken(`rt-${clientId}`);
			await admin('PUT', `/v1/clients/${clientId}/connections/${service}`, { ...tokens, ...body });
			return clientId;
		},
		/** The access token stored for a crm connection, decrypted. */
		storedToken: async (clientId: string) => {
			const connection = await row(clientId);
			const secret = await openCredentialSecret(
				vault.vault.keyring,
				clientId,
				'crm',
				connection.credential_ciphertext,
			);
			return secret.access_token!;
		},
		/** Who holds the refresh lease of a client's connection, or null. */
		leaseOf: async (clientId: string) =>
			(
				await db().query<{ owner: string | null }>(
					`SELECT refresh_lease_owner AS owner FROM connections WHERE client_id = $1`,
					[clientId],
				)
			)[0]!.owner,
		/** The `connection.refresh` audit rows of a client, oldest first, without ids, times or hashes. */
		auditRows: (clientId: string) =>
			db().query<Record<string, unknown>>(
				`SELECT actor_id, actor_name, action, service, status_code, error_code, details
				 FROM audit_log WHERE action = 'connection.refresh' AND client_id = $1 ORDER BY id`,
				[clientId],
			),
		/**
		 * A refresher over the vault's database (skew {@link SKEW_SECONDS}, manual interval
		 * {@link MANUAL_INTERVAL_MS}, 4 caller slots, 4 queued), `options` overriding; with the
		 * {@link RecordingLog} it logs to, `trigger:outcome` per `onOutcome` and `client/service` per
		 * `onSettled`.
		 */
		refresherWith: (options: Partial<RefresherOptions> = {}) => {
			const log = new RecordingLog();
			const outcomes: string[] = [];
			const settled: string[] = [];
			const refresher = new ConnectionRefresher({
				db: db(),
				keyring: vault.vault.keyring,
				timeoutMs: 5_000,
				allowInsecure: true,
				audit,
				log: log as unknown as FastifyBaseLogger,
				skewSeconds: SKEW_SECONDS,
				callerConcurrency: 4,
				callerQueueLimit: 4,
				manualIntervalMs: MANUAL_INTERVAL_MS,
				onOutcome: (trigger, outcome) => outcomes.push(`${trigger}:${outcome}`),
				onSettled: (clientId, service) => settled.push(`${clientId}/${service}`),
				...options,
			});
			return { refresher, log, outcomes, settled };
		},
	};
}
