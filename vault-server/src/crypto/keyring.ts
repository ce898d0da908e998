import { randomBytes } from 'node:crypto';
import { deriveAuditChainKey } from './audit-chain-key.js';
import { DecryptionFailed } from './decryption-failed.js';
import { KEY_LENGTH, keyVersionOf, open, seal } from './envelope.js';

export class MasterKeyMismatch extends Error {
	/** `origin`, when known, says where the key came from, e.g. "set in the environment". */
	constructor(
		readonly version: number,
		origin?: string,
	) {
		super(
			`ENCRYPTION_MASTER_KEY cannot open data key version ${version}: it is not the master key ` +
				'this vault was created with. Start with the right key (or set the new one in ' +
				'ENCRYPTION_MASTER_KEY and the old one in ENCRYPTION_MASTER_KEY_PREVIOUS). No key was created or changed.' +
				(origin === undefined ? '' : ` (ENCRYPTION_MASTER_KEY ${origin})`),
		);
		this.name = 'MasterKeyMismatch';
	}
}

export interface KeyRow {
	version: number;
	wrapped_key: Uint8Array;
	status: 'active' | 'decrypt_only' | 'retired';
}

const dataKeyContext = (version: number) => `otobot:data-key:${version}`;

/** Wraps a data key under the master key; the version is bound as additional data. */
export function wrapDataKey(masterKey: Uint8Array, version: number, dataKey: Uint8Array): Buffer {
	return seal(masterKey, version, dataKey, dataKeyContext(version));
}

/** Opens a wrapped data key; a master key that cannot is a MasterKeyMismatch. */
export function unwrapDataKey(
	masterKey: Uint8Array,
	row: Pick<KeyRow, 'version' | 'wrapped_key'>,
): Buffer {
	try {
		const key = open(masterKey, row.wrapped_key, dataKeyContext(row.version));
		if (key.length !== KEY_LENGTH) throw new DecryptionFailed();
		return key;
	} catch {
		throw new MasterKeyMismatch(row.version);
	}
}

/**
 * Where the keyring reads the wrapped data keys and writes the first one: the `encryption_keys`
 * table behind storage's encryptionKeysStore. The keyring itself runs no SQL.
 */
export interface KeyLoader {
	/** Every version not retired, in version order. */
	listUsable(): Promise<KeyRow[]>;
	/** Inserts version 1 as active, unless a key exists already (then it keeps that one). */
	insertFirst(wrappedKey: Uint8Array): Promise<void>;
}

export interface Sealed {
	ciphertext: Buffer;
	keyVersion: number;
}

/**
 * The vault's data keys, unwrapped in memory. New secrets are sealed with the active version;
 * any loaded version opens. A version another process created since start is loaded on demand.
 */
export class Keyring {
	#keys = new Map<number, Buffer>();
	#active = 0;
	#chainKey: { version: number; key: Buffer } | undefined;

	private constructor(
		private readonly keys: KeyLoader,
		private readonly masterKey: Buffer,
	) {}

	/**
	 * Loads every data key (32 bytes each, wrapped under the 32-byte master key) from `keys`;
	 * creates version 1 only when the vault has no key at all. Throws MasterKeyMismatch when the
	 * master key cannot open a stored version.
	 */
	static async open(keys: KeyLoader, masterKey: Buffer): Promise<Keyring> {
		const keyring = new Keyring(keys, masterKey);
		await keyring.reload();
		if (keyring.#keys.size === 0) {
			// two processes starting on an empty vault keep whichever key landed first
			await keys.insertFirst(wrapDataKey(masterKey, 1, randomBytes(KEY_LENGTH)));
			await keyring.reload();
		}
		return keyring;
	}

	get activeVersion(): number {
		return this.#active;
	}

	/** Whether `version` is loaded (and so opens without a reload). */
	hasVersion(version: number): boolean {
		return this.#keys.has(version);
	}

	/** Reads the key table again: a rotation or retirement by another process takes effect here. */
	async reload(): Promise<void> {
		const rows = await this.keys.listUsable();
		const keys = new Map<number, Buffer>();
		let active = 0;
		for (const row of rows) {
			keys.set(row.version, unwrapDataKey(this.masterKey, row));
			if (row.status === 'active') active = row.version;
		}
		this.#keys = keys;
		this.#active = active;
	}

	/**
	 * The audit chain's HMAC key, derived from the active data key (crypto/audit-chain-key.ts),
	 * with that key's version, which each audit row records.
	 */
	auditChainKey(): { version: number; key: Buffer } {
		if (this.#chainKey?.version !== this.#active) {
			const dataKey = this.#keys.get(this.#active);
			if (!dataKey) throw new Error('The vault has no active data key');
			this.#chainKey = { version: this.#active, key: deriveAuditChainKey(dataKey) };
		}
		return this.#chainKey;
	}

	encrypt(plaintext: string | Uint8Array, context: string): Sealed {
		const key = this.#keys.get(this.#active);
		if (!key) throw new Error('The vault has no active data key');
		const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
		return { ciphertext: seal(key, this.#active, bytes, context), keyVersion: this.#active };
	}

	async decrypt(ciphertext: Uint8Array, context: string): Promise<Buffer> {
		const version = keyVersionOf(ciphertext);
		if (version === undefined) throw new DecryptionFailed();
		if (!this.#keys.has(version)) await this.reload();
		const key = this.#keys.get(version);
		if (!key) throw new DecryptionFailed();
		return open(key, ciphertext, context);
	}

	async decryptText(ciphertext: Uint8Array, context: string): Promise<string> {
		return (await this.decrypt(ciphertext, context)).toString('utf8');
	}
}
