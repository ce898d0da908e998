import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptionFailed } from './decryption-failed.js';

/**
 * Ciphertext layout, format 1:
 *   [0]      format (1)
 *   [1..4]   key version, uint32 big-endian
 *   [5..16]  96-bit random IV
 *   [17..32] 128-bit GCM tag
 *   [33..]   AES-256-GCM ciphertext
 * The 5-byte header and the caller's context are authenticated as additional data, so neither
 * the version nor the row a ciphertext belongs to can be changed without failing decryption.
 */
export const FORMAT_V1 = 1;
const HEADER_LENGTH = 5;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const PAYLOAD_OFFSET = HEADER_LENGTH + IV_LENGTH + TAG_LENGTH;
export const KEY_LENGTH = 32;

function header(keyVersion: number): Buffer {
	const bytes = Buffer.alloc(HEADER_LENGTH);
	bytes[0] = FORMAT_V1;
	bytes.writeUInt32BE(keyVersion, 1);
	return bytes;
}

function additionalData(head: Uint8Array, context: string): Buffer {
	return Buffer.concat([head, Buffer.from(context, 'utf8')]);
}

export function seal(
	key: Uint8Array,
	keyVersion: number,
	plaintext: Uint8Array,
	context: string,
): Buffer {
	if (key.length !== KEY_LENGTH) throw new Error('AES-256-GCM needs a 32-byte key');
	const head = header(keyVersion);
	const iv = randomBytes(IV_LENGTH);
	const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
	cipher.setAAD(additionalData(head, context));
	const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
	return Buffer.concat([head, iv, cipher.getAuthTag(), body]);
}

/** The key version a ciphertext names, or `undefined` when it is not a format-1 ciphertext. */
export function keyVersionOf(ciphertext: Uint8Array): number | undefined {
	if (ciphertext.length < PAYLOAD_OFFSET || ciphertext[0] !== FORMAT_V1) return undefined;
	return Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.length).readUInt32BE(1);
}

export function open(key: Uint8Array, ciphertext: Uint8Array, context: string): Buffer {
	if (key.length !== KEY_LENGTH || keyVersionOf(ciphertext) === undefined) {
		throw new DecryptionFailed();
	}
	const bytes = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.length);
	try {
		const decipher = createDecipheriv(
			'aes-256-gcm',
			key,
			bytes.subarray(HEADER_LENGTH, HEADER_LENGTH + IV_LENGTH),
			{ authTagLength: TAG_LENGTH },
		);
		decipher.setAAD(additionalData(bytes.subarray(0, HEADER_LENGTH), context));
		decipher.setAuthTag(bytes.subarray(HEADER_LENGTH + IV_LENGTH, PAYLOAD_OFFSET));
		return Buffer.concat([decipher.update(bytes.subarray(PAYLOAD_OFFSET)), decipher.final()]);
	} catch {
		throw new DecryptionFailed();
	}
}
