import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** HKDF's info label for the backup key; a new label (v2) would make older checks not match. */
const BACKUP_KEY_INFO = 'otobot-vault backup v1';
const KEY_CHECK_LABEL = 'key check';

/**
 * The backup key: HKDF-SHA-256 (RFC 5869) of the 32-byte master key, empty salt, info
 * BACKUP_KEY_INFO, 32 bytes out. Never stored, never written to a backup.
 */
function backupKey(masterKey: Uint8Array): Buffer {
	return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), BACKUP_KEY_INFO, 32));
}

const hmac = (key: Uint8Array, text: string) =>
	createHmac('sha256', key).update(text).digest('hex');

/**
 * A key check value: hex HMAC-SHA-256 of a fixed label under the backup key. Equal values mean
 * the same master key (to 2^-128); the value says nothing about the key itself.
 */
export function backupKeyCheck(masterKey: Uint8Array): string {
	return hmac(backupKey(masterKey), KEY_CHECK_LABEL);
}

/**
 * The backup's seal: hex HMAC-SHA-256 under the backup key of its header text and its payload's
 * hex SHA-256, so a changed header or payload is told apart from a wrong master key.
 */
export function backupSeal(masterKey: Uint8Array, header: string, payloadSha256: string): string {
	return hmac(backupKey(masterKey), `seal\n${header}\n${payloadSha256}`);
}

/** Compares two hex values in constant time (different lengths are simply unequal). */
export function sameHex(a: string, b: string): boolean {
	const x = Buffer.from(a, 'hex');
	const y = Buffer.from(b, 'hex');
	return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
