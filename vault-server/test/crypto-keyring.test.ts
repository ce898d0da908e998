import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveAuditChainKey } from '../src/crypto/audit-chain-key.js';
import { DecryptionFailed } from '../src/crypto/decryption-failed.js';
import { keyVersionOf, open, seal } from '../src/crypto/envelope.js';
import { Keyring, MasterKeyMismatch, unwrapDataKey, wrapDataKey } from '../src/crypto/keyring.js';
import { keyTable } from './helpers/key-table.js';

const key = randomBytes(32);

/** A format-1-shaped ciphertext with another format byte, authenticated as AES-256-GCM would. */
function sealWithFormat(format: number, version: number, plaintext: string, context: string) {
	const head = Buffer.alloc(5);
	head[0] = format;
	head.writeUInt32BE(version, 1);
	const iv = randomBytes(12);
	const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
	cipher.setAAD(Buffer.concat([head, Buffer.from(context, 'utf8')]));
	const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
	return Buffer.concat([head, iv, cipher.getAuthTag(), body]);
}

/** `buffer` copied into the middle of a larger allocation, as a view with a non-zero offset. */
function atOffset(buffer: Uint8Array): Uint8Array {
	const backing = new Uint8Array(buffer.length + 24).fill(0xee);
	backing.set(buffer, 11);
	return backing.subarray(11, 11 + buffer.length);
}

describe('envelope lengths, formats and offsets', () => {
	it('refuses a key that is not 32 bytes before sealing', () => {
		for (const length of [0, 16, 31, 33]) {
			expect(() => seal(randomBytes(length), 1, Buffer.from('x'), 'c')).toThrow(
				'AES-256-GCM needs a 32-byte key',
			);
		}
	});

	it('opens an empty plaintext: a 33-byte ciphertext is a whole one, 32 bytes is not', () => {
		const sealed = seal(key, 9, Buffer.alloc(0), 'c');
		expect(sealed.length).toBe(33);
		expect(keyVersionOf(sealed)).toBe(9);
		expect(open(key, sealed, 'c').length).toBe(0);
		expect(keyVersionOf(sealed.subarray(0, 32))).toBeUndefined();
		expect(() => open(key, sealed.subarray(0, 32), 'c')).toThrow(DecryptionFailed);
	});

	it('reads the version as uint32 big-endian, up to 2^32 - 1', () => {
		const sealed = seal(key, 0xfffffffe, Buffer.from('v'), 'c');
		expect([...sealed.subarray(0, 5)]).toEqual([1, 0xff, 0xff, 0xff, 0xfe]);
		expect(keyVersionOf(sealed)).toBe(0xfffffffe);
	});

	it('refuses another format byte even when its authentication is valid', () => {
		const other = sealWithFormat(2, 1, 'secret', 'c');
		expect(keyVersionOf(other)).toBeUndefined();
		expect(() => open(key, other, 'c')).toThrow(DecryptionFailed);
		// the same bytes with format 1 do open: only the format is refused
		expect(open(key, sealWithFormat(1, 1, 'secret', 'c'), 'c').toString()).toBe('secret');
	});

	it('refuses a key that is not 32 bytes when opening', () => {
		const sealed = seal(key, 1, Buffer.from('x'), 'c');
		expect(() => open(key.subarray(0, 16), sealed, 'c')).toThrow(DecryptionFailed);
		expect(() => open(Buffer.concat([key, Buffer.from([0])]), sealed, 'c')).toThrow(
			DecryptionFailed,
		);
	});

	it('reads a ciphertext that is a view into a larger buffer', () => {
		const sealed = seal(key, 258, Buffer.from('in the middle'), 'c');
		const view = atOffset(sealed);
		expect(keyVersionOf(view)).toBe(258);
		expect(open(key, view, 'c').toString()).toBe('in the middle');
	});

	it('binds the context as UTF-8 bytes, whole', () => {
		const sealed = seal(key, 1, Buffer.from('x'), 'row-é');
		expect(open(key, sealed, 'row-é').toString()).toBe('x');
		expect(() => open(key, sealed, 'row-e')).toThrow(DecryptionFailed);
		expect(() => open(key, sealed, 'row-')).toThrow(DecryptionFailed);
		expect(() => open(key, sealed, '')).toThrow(DecryptionFailed);
	});
});

describe('decryption failure', () => {
	it('has the stable code, status and a message without detail', () => {
		const error = new DecryptionFailed();
		expect(error).toBeInstanceOf(Error);
		expect(error.name).toBe('DecryptionFailed');
		expect(error.code).toBe('VAULT_DECRYPTION_FAILED');
		expect(error.message).toBe('A stored secret could not be decrypted');
	});
});

describe('data key wrapping', () => {
	const masterKey = randomBytes(32);

	it('wraps under the master key with the version as header and bound context', () => {
		const dataKey = randomBytes(32);
		const wrapped = wrapDataKey(masterKey, 4, dataKey);
		expect(keyVersionOf(wrapped)).toBe(4);
		// the stored form: an envelope under the context "otobot:data-key:<version>"
		expect(open(masterKey, wrapped, 'otobot:data-key:4').equals(dataKey)).toBe(true);
		expect(unwrapDataKey(masterKey, { version: 4, wrapped_key: wrapped }).equals(dataKey)).toBe(
			true,
		);
	});

	it('refuses a wrapped key presented under another version, a wrong master key, a short key', () => {
		const wrapped = wrapDataKey(masterKey, 4, randomBytes(32));
		expect(() => unwrapDataKey(masterKey, { version: 5, wrapped_key: wrapped })).toThrow(
			MasterKeyMismatch,
		);
		expect(() => unwrapDataKey(randomBytes(32), { version: 4, wrapped_key: wrapped })).toThrow(
			MasterKeyMismatch,
		);
		const short = wrapDataKey(masterKey, 6, randomBytes(16));
		expect(() => unwrapDataKey(masterKey, { version: 6, wrapped_key: short })).toThrow(
			MasterKeyMismatch,
		);
	});

	it('names the version and the variables, never the key', () => {
		const wrapped = wrapDataKey(masterKey, 12, randomBytes(32));
		const other = randomBytes(32);
		let thrown: unknown;
		try {
			unwrapDataKey(other, { version: 12, wrapped_key: wrapped });
		} catch (error) {
			thrown = error;
		}
		expect(thrown).toBeInstanceOf(MasterKeyMismatch);
		const error = thrown as MasterKeyMismatch;
		expect(error.name).toBe('MasterKeyMismatch');
		expect(error.message).toBe(
			'ENCRYPTION_MASTER_KEY cannot open data key version 12: it is not the master key this ' +
				'vault was created with. Start with the right key (or set the new one in ' +
				'ENCRYPTION_MASTER_KEY and the old one in ENCRYPTION_MASTER_KEY_PREVIOUS). No key was ' +
				'created or changed.',
		);
		expect(error.message).not.toContain(other.toString('hex'));
	});
});

describe('keyring versions', () => {
	const masterKey = randomBytes(32);

	it('seals with the row marked active, not the highest version', async () => {
		const table = keyTable(masterKey, [
			{ version: 1, status: 'active' },
			{ version: 2, status: 'decrypt_only' },
		]);
		const keyring = await Keyring.open(table.loader, masterKey);
		expect(keyring.activeVersion).toBe(1);
		const sealed = keyring.encrypt('token', 'c');
		expect(sealed.keyVersion).toBe(1);
		expect(keyVersionOf(sealed.ciphertext)).toBe(1);
		expect(open(table.dataKeys.get(1)!, sealed.ciphertext, 'c').toString()).toBe('token');
		expect(table.counts.inserts).toBe(0);
	});

	it('seals bytes and text alike and opens both versions it holds', async () => {
		const table = keyTable(masterKey, [
			{ version: 1, status: 'decrypt_only' },
			{ version: 3, status: 'active' },
		]);
		const keyring = await Keyring.open(table.loader, masterKey);
		expect(keyring.hasVersion(1)).toBe(true);
		expect(keyring.hasVersion(2)).toBe(false);
		expect(keyring.hasVersion(3)).toBe(true);
		const old = seal(table.dataKeys.get(1)!, 1, Buffer.from('old'), 'c');
		expect(await keyring.decryptText(old, 'c')).toBe('old');
		const bytes = keyring.encrypt(Buffer.from([0, 255, 7]), 'c');
		expect([...(await keyring.decrypt(bytes.ciphertext, 'c'))]).toEqual([0, 255, 7]);
		expect(await keyring.decryptText(keyring.encrypt('ünï', 'c').ciphertext, 'c')).toBe('ünï');
		await expect(keyring.decrypt(bytes.ciphertext, 'd')).rejects.toThrow(DecryptionFailed);
	});

	it('opens a known version and refuses garbage without reading the key table', async () => {
		const table = keyTable(masterKey, [{ version: 1, status: 'active' }]);
		const keyring = await Keyring.open(table.loader, masterKey);
		const reads = table.counts.reads;
		const sealed = keyring.encrypt('token', 'c');
		expect(await keyring.decryptText(sealed.ciphertext, 'c')).toBe('token');
		await expect(keyring.decrypt(Buffer.from('not a ciphertext'), 'c')).rejects.toThrow(
			DecryptionFailed,
		);
		await expect(keyring.decrypt(Buffer.alloc(0), 'c')).rejects.toThrow(DecryptionFailed);
		expect(table.counts.reads).toBe(reads);
	});

	it('reads the key table once for an unknown version, then fails with the one error', async () => {
		const table = keyTable(masterKey, [{ version: 1, status: 'active' }]);
		const keyring = await Keyring.open(table.loader, masterKey);
		const reads = table.counts.reads;
		const unknown = seal(randomBytes(32), 7, Buffer.from('x'), 'c');
		await expect(keyring.decrypt(unknown, 'c')).rejects.toThrow(DecryptionFailed);
		expect(table.counts.reads).toBe(reads + 1);
	});

	it('follows a rotation on reload and drops a retired version', async () => {
		const table = keyTable(masterKey, [{ version: 1, status: 'active' }]);
		const keyring = await Keyring.open(table.loader, masterKey);
		const first = keyring.encrypt('first', 'c');
		table.rotateTo(2);
		expect(keyring.activeVersion).toBe(1);
		await keyring.reload();
		expect(keyring.activeVersion).toBe(2);
		expect(keyring.encrypt('x', 'c').keyVersion).toBe(2);
		expect(await keyring.decryptText(first.ciphertext, 'c')).toBe('first');

		table.rows[0]!.status = 'retired';
		await keyring.reload();
		expect(keyring.hasVersion(1)).toBe(false);
		await expect(keyring.decrypt(first.ciphertext, 'c')).rejects.toThrow(DecryptionFailed);
	});

	it('has no active key when every version is decrypt-only', async () => {
		const table = keyTable(masterKey, [{ version: 1, status: 'decrypt_only' }]);
		const keyring = await Keyring.open(table.loader, masterKey);
		expect(table.counts.inserts).toBe(0);
		expect(keyring.activeVersion).toBe(0);
		expect(() => keyring.encrypt('x', 'c')).toThrow('The vault has no active data key');
		expect(() => keyring.auditChainKey()).toThrow('The vault has no active data key');
	});

	it('creates version 1 once on an empty table', async () => {
		const table = keyTable(masterKey, []);
		const keyring = await Keyring.open(table.loader, masterKey);
		expect(table.counts.inserts).toBe(1);
		expect(table.rows).toHaveLength(1);
		expect(keyring.activeVersion).toBe(1);
		const dataKey = unwrapDataKey(masterKey, table.rows[0]!);
		expect(dataKey.length).toBe(32);
		const sealed = keyring.encrypt('t', 'c');
		expect(open(dataKey, sealed.ciphertext, 'c').toString()).toBe('t');
	});

	it('derives the audit chain key from the active data key and follows a rotation', async () => {
		const table = keyTable(masterKey, [
			{ version: 1, status: 'decrypt_only' },
			{ version: 2, status: 'active' },
		]);
		const keyring = await Keyring.open(table.loader, masterKey);
		const chainKey = keyring.auditChainKey();
		expect(chainKey.version).toBe(2);
		expect(chainKey.key.equals(deriveAuditChainKey(table.dataKeys.get(2)!))).toBe(true);
		expect(keyring.auditChainKey()).toEqual(chainKey);

		table.rotateTo(3);
		await keyring.reload();
		const next = keyring.auditChainKey();
		expect(next.version).toBe(3);
		expect(next.key.equals(deriveAuditChainKey(table.dataKeys.get(3)!))).toBe(true);
		expect(next.key.equals(chainKey.key)).toBe(false);
	});

	it('refuses to open with a master key that cannot unwrap a stored version', async () => {
		const table = keyTable(masterKey, [{ version: 1, status: 'active' }]);
		await expect(Keyring.open(table.loader, randomBytes(32))).rejects.toThrow(MasterKeyMismatch);
		expect(table.counts.inserts).toBe(0);
	});
});
