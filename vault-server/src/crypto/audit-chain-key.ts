import { createHmac, hkdfSync } from 'node:crypto';

/** HKDF's info label: a new label (v2) would start a chain under different keys. */
export const AUDIT_CHAIN_KEY_INFO = 'otobot-vault audit chain v1';

/**
 * The audit chain's HMAC key for one data key version: HKDF-SHA-256 (RFC 5869) of the 32-byte
 * data key, empty salt, info AUDIT_CHAIN_KEY_INFO, 32 bytes out. The data key only opens with the
 * master key, so a writer without the master key cannot compute it; a master-key rotation re-wraps
 * the data keys unchanged, so the chain keys stay the same. The key is never stored.
 */
export function deriveAuditChainKey(dataKey: Uint8Array): Buffer {
	return Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), AUDIT_CHAIN_KEY_INFO, 32));
}

/**
 * A keyed row's hash: hex HMAC-SHA-256 under `key` of
 * "<previous hash hex>\n<id>\n<key version>\n<content>" (the version is bound, so a row cannot be
 * moved under another key).
 */
export function hmacAuditRow(
	key: Uint8Array,
	keyVersion: number,
	prevHashHex: string,
	id: number,
	content: string,
): string {
	return createHmac('sha256', key)
		.update(`${prevHashHex}\n${id}\n${keyVersion}\n${content}`)
		.digest('hex');
}
