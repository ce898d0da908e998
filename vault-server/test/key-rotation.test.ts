import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InjectOptions } from 'fastify';
import { Keyring } from '../src/crypto/keyring.js';
import { encryptionKeysStore } from '../src/storage/encryption-keys-store.js';
import { DecryptionFailed } from '../src/crypto/decryption-failed.js';
import { VaultError } from '../src/errors.js';
import { keysStatus } from '../src/domain/key-status.js';
import { retireDataKey, rotateDataKey } from '../src/domain/key-rotation.js';
import { rewrapAll, rewrapBatch } from '../src/domain/rewrap.js';
import { CIPHERTEXT_LOCATIONS } from '../src/domain/ciphertext-locations.js';
import { backends } from './helpers/databases.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { asAdmin, asInternal, startTestVault, type TestVault } from './helpers/vault-app.js';

const CLIENTS = Array.from({ length: 15 }, (_, i) => `client-${i}`);
const accessOf = (client: string, round = 0) => `ya29.access-${client}-${round}`;
const refreshOf = (client: string) => `1//refresh-${client}`;
const apiKeyOf = (client: string) => `sk-${client}`;

async function expectCode(promise: Promise<unknown>, code: string) {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(VaultError);
	expect((error as VaultError).code).toBe(code);
}

describe.each(backends())('data key rotation on %s', (backend) => {
	let vault: TestVault;
	const inject = (options: InjectOptions) => vault.app.inject(options);
	afterEach(async () => vault?.close());

	async function seed() {
		vault = await startTestVault(backend, { KEYRING_RELOAD_SECONDS: '1' });
		await inject({
			method: 'POST',
			url: '/v1/services',
			headers: asAdmin,
			payload: {
				name: 'rot-google',
				display_name: 'Google',
				oauth_type: 'oauth2',
				oauth_client_id: 'app',
				oauth_client_secret: 'google-app-secret',
				oauth_token_url: 'https://oauth2.example.com/token',
			},
		});
		await inject({
			method: 'POST',
			url: '/v1/services',
			headers: asAdmin,
			payload: { name: 'rot-openai', display_name: 'OpenAI', oauth_type: 'api_key' },
		});
		for (const client of CLIENTS) {
			await inject({
				method: 'POST',
				url: '/v1/clients',
				headers: asAdmin,
				payload: { id: client, name: client },
			});
			const google = {
				access_token: accessOf(client),
				refresh_token: refreshOf(client),
				expires_in: 3600,
			};
			expect(
				(
					await inject({
						method: 'PUT',
						url: `/v1/clients/${client}/connections/rot-google`,
						headers: asAdmin,
						payload: google,
					})
				).statusCode,
			).toBe(201);
			expect(
				(
					await inject({
						method: 'PUT',
						url: `/v1/clients/${client}/connections/rot-openai`,
						headers: asAdmin,
						payload: { api_key: apiKeyOf(client) },
					})
				).statusCode,
			).toBe(201);
		}
	}

	it('rotates, then rewraps while fetches and writes go on: none fails, none is lost', async () => {
		await seed();
		const before = await keysStatus(vault.database.db);
		expect(before.keys).toMatchObject([
			{ version: 1, status: 'active', ciphertexts: CLIENTS.length * 3 + 1 },
		]);

		// the operator's CLI is another keyring on the same database, as another process would be
		const cli = await Keyring.open(
			encryptionKeysStore(vault.database.db),
			vault.vault.masterKey.key,
		);
		expect(await rotateDataKey(vault.database.db, vault.vault.masterKey.key)).toEqual({
			version: 2,
			previous: 1,
		});
		expect(vault.app.keyring.activeVersion).toBe(1);

		const fetches = (async () => {
			const failures: string[] = [];
			for (let round = 0; round < 3; round += 1) {
				await Promise.all(
					CLIENTS.map(async (client) => {
						const google = await inject({
							url: `/v1/credentials/${client}/rot-google`,
							headers: asInternal,
						});
						const openai = await inject({
							url: `/v1/credentials/${client}/rot-openai`,
							headers: asInternal,
						});
						if (google.statusCode !== 200 || openai.statusCode !== 200)
							failures.push(`${client}: ${google.body} ${openai.body}`);
						else expect(openai.json().api_key).toBe(apiKeyOf(client));
					}),
				);
			}
			return failures;
		})();
		// writes during the rewrap, sealed by the app's keyring (possibly still on version 1)
		const writes = (async () => {
			for (const client of CLIENTS.slice(0, 5)) {
				const response = await inject({
					method: 'PUT',
					url: `/v1/clients/${client}/connections/rot-google`,
					headers: asAdmin,
					payload: {
						access_token: accessOf(client, 1),
						refresh_token: refreshOf(client),
						expires_in: 3600,
					},
				});
				expect(response.statusCode).toBe(200);
			}
		})();
		const totals = await rewrapAll(vault.database.db, cli, {
			batchSize: 3,
			retryMs: 100,
			maxPasses: 50,
		});
		const [failures] = await Promise.all([fetches, writes]);

		expect(failures).toEqual([]);
		expect(totals).toMatchObject({ target: 2, remaining: 0, failed: [], interrupted: false });
		expect(totals.rewrapped).toBeGreaterThanOrEqual(CLIENTS.length * 2 + 1 - 5);
		const after = await keysStatus(vault.database.db);
		expect(after.not_on_active).toBe(0);
		expect(after.keys).toMatchObject([
			{ version: 1, status: 'decrypt_only', ciphertexts: 0 },
			{
				version: 2,
				status: 'active',
				ciphertexts: CLIENTS.length * 3 + 1,
				by_location: { connections: CLIENTS.length * 3, 'services.oauth_client_secret': 1 },
			},
		]);
		for (const [index, client] of CLIENTS.entries()) {
			const google = await inject({
				url: `/v1/credentials/${client}/rot-google?include_refresh_token=true`,
				headers: asAdmin,
			});
			expect(google.json()).toMatchObject({
				access_token: accessOf(client, index < 5 ? 1 : 0),
				refresh_token: refreshOf(client),
			});
		}
		// running processes pick the new version up for new writes on their own
		await vi.waitFor(() => expect(vault.app.keyring.activeVersion).toBe(2), WAIT_BOUND);
	});

	it('retires only an unused, non-active version, and a retired version no longer opens', async () => {
		await seed();
		const db = vault.database.db;
		const masterKey = vault.vault.masterKey.key;
		const sealedUnderOne = vault.app.keyring.encrypt('kept-aside', 'ctx');
		await rotateDataKey(db, masterKey);
		await expectCode(retireDataKey(db, 1, { settleMs: 0 }), 'KEY_VERSION_IN_USE');
		await expectCode(retireDataKey(db, 2, { settleMs: 0 }), 'KEY_VERSION_ACTIVE');
		await expectCode(retireDataKey(db, 9, { settleMs: 0 }), 'KEY_VERSION_NOT_FOUND');

		const cli = await Keyring.open(encryptionKeysStore(db), masterKey);
		expect((await rewrapAll(db, cli, { batchSize: 50 })).remaining).toBe(0);
		await expectCode(retireDataKey(db, 1, { settleMs: 60_000 }), 'KEY_ROTATION_TOO_RECENT');
		expect(await retireDataKey(db, 1, { settleMs: 0 })).toBe('retired');
		expect(await retireDataKey(db, 1, { settleMs: 0 })).toBe('already_retired');

		const fresh = await Keyring.open(encryptionKeysStore(db), masterKey);
		await expect(fresh.decrypt(sealedUnderOne.ciphertext, 'ctx')).rejects.toBeInstanceOf(
			DecryptionFailed,
		);
		const status = await keysStatus(db);
		expect(status.keys.map((key) => [key.version, key.status, key.ciphertexts])).toEqual([
			[1, 'retired', 0],
			[2, 'active', CLIENTS.length * 3 + 1],
		]);
		// every credential still opens after the retirement
		for (const client of CLIENTS) {
			expect(
				(await inject({ url: `/v1/credentials/${client}/rot-google`, headers: asInternal })).json()
					.access_token,
			).toBe(accessOf(client));
		}
	});

	it('leaves a row whose refresh holds its lease, and takes it once released', async () => {
		await seed();
		const db = vault.database.db;
		await rotateDataKey(db, vault.vault.masterKey.key);
		const cli = await Keyring.open(encryptionKeysStore(db), vault.vault.masterKey.key);
		const connections = CIPHERTEXT_LOCATIONS.find((place) => place.name === 'connections')!;
		const key = [CLIENTS[0], 'rot-google'];
		// a refresh calling the provider: its lease in the row (migration 0010), no transaction open
		await db.query(
			`UPDATE connections SET refresh_lease_owner = 'test', refresh_lease_until = now() + interval '1 minute'
			 WHERE client_id = $1 AND service = $2`,
			key,
		);
		const first = await rewrapBatch(db, cli, connections, undefined, 2);
		expect(first).toMatchObject({ seen: 2, rewrapped: 1, busy: 1 });
		await db.query(
			`UPDATE connections SET refresh_lease_owner = NULL, refresh_lease_until = NULL
			 WHERE client_id = $1 AND service = $2`,
			key,
		);
		const second = await rewrapBatch(db, cli, connections, undefined, 2);
		expect(second.rewrapped).toBe(2);
		const row = await db.query<{ key_version: number }>(
			'SELECT key_version FROM connections WHERE client_id = $1 AND service = $2',
			key,
		);
		expect(row[0]?.key_version).toBe(2);
	});
});
