import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { open, seal, keyVersionOf } from '../src/crypto/envelope.js';
import { DecryptionFailed } from '../src/crypto/decryption-failed.js';
import {
	Keyring,
	MasterKeyMismatch,
	wrapDataKey,
	type KeyLoader,
	type KeyRow,
} from '../src/crypto/keyring.js';
import { encryptionKeysStore } from '../src/storage/encryption-keys-store.js';
import { migrate, readMigrations } from '../src/storage/migrations.js';
import { migrationsDirectory } from '../src/storage/sql-directory.js';
import { backends, openTestDatabase, type TestDatabase } from './helpers/databases.js';

const key = randomBytes(32);

/** The error `run` throws, which must be the one decryption failure. */
function expectDecryptionFailed(run: () => unknown): DecryptionFailed {
	let thrown: unknown;
	expect(() => {
		try {
			run();
		} catch (error) {
			thrown = error;
			throw error;
		}
	}).toThrow(DecryptionFailed);
	expect(thrown).toMatchObject({ code: 'VAULT_DECRYPTION_FAILED', statusCode: 500 });
	return thrown as DecryptionFailed;
}

describe('AES-256-GCM envelope', () => {
	it('round-trips and records format and key version', () => {
		const sealed = seal(key, 7, Buffer.from('ya29.token'), 'ctx');
		expect(sealed[0]).toBe(1);
		expect(keyVersionOf(sealed)).toBe(7);
		expect(sealed.length).toBe(5 + 12 + 16 + 'ya29.token'.length);
		expect(open(key, sealed, 'ctx').toString()).toBe('ya29.token');
	});

	it('uses a fresh 96-bit IV for every encryption', () => {
		const ivs = new Set(
			Array.from({ length: 200 }, () =>
				seal(key, 1, Buffer.from('x'), 'c').subarray(5, 17).toString('hex'),
			),
		);
		expect(ivs.size).toBe(200);
	});

	it('fails with the one error on a flipped bit anywhere', () => {
		const sealed = seal(key, 1, Buffer.from('secret value'), 'ctx');
		for (const index of [0, 1, 4, 5, 16, 17, 32, 33, sealed.length - 1]) {
			const tampered = Buffer.from(sealed);
			tampered[index]! ^= 0x01;
			expectDecryptionFailed(() => open(key, tampered, 'ctx'));
		}
	});

	it('fails with the one error for another context, another key, or garbage', () => {
		const sealed = seal(key, 1, Buffer.from('secret'), 'row-a');
		expectDecryptionFailed(() => open(key, sealed, 'row-b'));
		expectDecryptionFailed(() => open(randomBytes(32), sealed, 'row-a'));
		expectDecryptionFailed(() => open(key, sealed.subarray(0, 20), 'row-a'));
		expectDecryptionFailed(() => open(key, Buffer.alloc(0), 'row-a'));
		expectDecryptionFailed(() => open(key, Buffer.from([2, ...sealed.subarray(1)]), 'row-a'));
	});

	it('never puts plaintext or key material in the error', () => {
		const sealed = seal(key, 1, Buffer.from('super-secret-token'), 'ctx');
		const error = expectDecryptionFailed(() => open(key, sealed, 'other'));
		const text = `${error.message} ${JSON.stringify(error)} ${error.stack}`;
		expect(text).toContain('A stored secret could not be decrypted');
		expect(text).not.toContain('super-secret-token');
		expect(text).not.toContain(key.toString('hex'));
		expect(text).not.toContain(key.toString('base64'));
	});
});

describe.each(backends())('keyring on %s', (backend) => {
	let database: TestDatabase;
	afterEach(async () => database?.dispose());

	it('creates one data key on an empty vault and refuses a wrong master key', async () => {
		database = await openTestDatabase(backend);
		await migrate(database.db, readMigrations(migrationsDirectory()));
		const masterKey = randomBytes(32);
		const keyring = await Keyring.open(encryptionKeysStore(database.db), masterKey);
		expect(keyring.activeVersion).toBe(1);
		const sealed = keyring.encrypt('token', 'ctx');
		expect(sealed.keyVersion).toBe(1);

		const again = await Keyring.open(encryptionKeysStore(database.db), masterKey);
		expect((await again.decrypt(sealed.ciphertext, 'ctx')).toString()).toBe('token');

		await expect(
			Keyring.open(encryptionKeysStore(database.db), randomBytes(32)),
		).rejects.toBeInstanceOf(MasterKeyMismatch);
		const rows = await database.db.query('SELECT version FROM encryption_keys');
		expect(rows).toHaveLength(1);
	});
});

describe('keyring without a database', () => {
	it('reads and creates its keys only through the key loader it is given', async () => {
		const rows: KeyRow[] = [];
		const loader: KeyLoader = {
			listUsable: async () => rows.filter((row) => row.status !== 'retired'),
			insertFirst: async (wrapped) => {
				if (rows.length === 0) rows.push({ version: 1, wrapped_key: wrapped, status: 'active' });
			},
		};
		const masterKey = randomBytes(32);
		const keyring = await Keyring.open(loader, masterKey);
		expect(keyring.activeVersion).toBe(1);
		expect(rows).toHaveLength(1);

		// a version another process added is loaded when a ciphertext under it comes to be opened
		rows[0]!.status = 'decrypt_only';
		rows.push({
			version: 2,
			wrapped_key: wrapDataKey(masterKey, 2, randomBytes(32)),
			status: 'active',
		});
		const sealedElsewhere = await Keyring.open(loader, masterKey);
		const sealed = sealedElsewhere.encrypt('token', 'ctx');
		expect(sealed.keyVersion).toBe(2);
		expect((await keyring.decrypt(sealed.ciphertext, 'ctx')).toString()).toBe('token');
	});
});
