import { afterEach, describe, expect, it } from 'vitest';
import { MasterKeyMismatch } from '../src/crypto/keyring.js';
import { ConfigError } from '../src/config/config.js';
import { createClient } from '../src/domain/clients.js';
import { createService } from '../src/domain/services.js';
import { revealCredential, storeConnection } from '../src/domain/connections.js';
import { openVault } from '../src/vault.js';
import { backends, openTestDatabase, type TestDatabase } from './helpers/databases.js';
import { TEST_MASTER_KEY, testConfig } from './helpers/vault-app.js';

const NEW_KEY = '0f'.repeat(32);
const OTHER_KEY = '5a'.repeat(32);

describe.each(backends())('master-key rotation on %s', (backend) => {
	let database: TestDatabase;
	afterEach(async () => database?.dispose());

	async function credentialWith(env: Record<string, string>, notices: string[] = []) {
		const vault = await openVault(testConfig(env), {
			db: database.db,
			announce: (m) => notices.push(m),
		});
		const row = await database.db.query<never>(
			"SELECT k.*, s.oauth_type AS type FROM connections k JOIN services s ON s.name = k.service WHERE client_id = 'acme'",
		);
		return revealCredential(vault.keyring, row[0]!, { includeRefreshToken: false });
	}

	it('re-wraps every data key under the new key from _PREVIOUS, and a wrong key still refuses', async () => {
		database = await openTestDatabase(backend);
		const first = await openVault(testConfig(), { db: database.db });
		await createClient(database.db, { id: 'acme', name: 'Acme' });
		await createService(
			database.db,
			first.keyring,
			'rot-openai',
			{ display_name: 'OpenAI', oauth_type: 'api_key' },
			{ allowInsecureUrls: false },
		);
		await storeConnection(database.db, first.keyring, 'acme', 'rot-openai', {
			api_key: 'sk-before-rotation',
		});
		// a second data key version, so more than one key moves
		await database.db.query("UPDATE encryption_keys SET status = 'decrypt_only'");
		const { rotateDataKey } = await import('../src/domain/key-rotation.js');
		await rotateDataKey(database.db, first.masterKey.key);

		const notices: string[] = [];
		const rotated = await credentialWith(
			{ ENCRYPTION_MASTER_KEY: NEW_KEY, ENCRYPTION_MASTER_KEY_PREVIOUS: TEST_MASTER_KEY },
			notices,
		);
		expect(rotated.api_key).toBe('sk-before-rotation');
		expect(notices).toHaveLength(1);
		expect(notices[0]).toContain('Re-wrapped 2 of 2 data key(s)');
		expect(notices[0]).toContain('ENCRYPTION_MASTER_KEY_PREVIOUS is no longer needed');
		expect(notices[0]).not.toContain(NEW_KEY);
		expect(notices[0]).not.toContain(TEST_MASTER_KEY);

		// the new key alone now opens everything; starting again with _PREVIOUS changes nothing
		expect((await credentialWith({ ENCRYPTION_MASTER_KEY: NEW_KEY })).api_key).toBe(
			'sk-before-rotation',
		);
		const again: string[] = [];
		await credentialWith(
			{ ENCRYPTION_MASTER_KEY: NEW_KEY, ENCRYPTION_MASTER_KEY_PREVIOUS: TEST_MASTER_KEY },
			again,
		);
		expect(again[0]).toContain('already under ENCRYPTION_MASTER_KEY');

		// the old key, or two keys that open nothing, stop the vault with the clear message
		await expect(openVault(testConfig(), { db: database.db })).rejects.toBeInstanceOf(
			MasterKeyMismatch,
		);
		const wrong = openVault(
			testConfig({
				ENCRYPTION_MASTER_KEY: OTHER_KEY,
				ENCRYPTION_MASTER_KEY_PREVIOUS: 'ab'.repeat(32),
			}),
			{ db: database.db },
		);
		await expect(wrong).rejects.toThrow(/cannot open data key version 1/);
		// a malformed key is refused when the configuration is read, before any database is opened
		expect(() => testConfig({ ENCRYPTION_MASTER_KEY_PREVIOUS: 'not-hex' })).toThrow(ConfigError);
		expect((await credentialWith({ ENCRYPTION_MASTER_KEY: NEW_KEY })).api_key).toBe(
			'sk-before-rotation',
		);
	});
});
