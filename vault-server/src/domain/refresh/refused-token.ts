import { createHash, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../../crypto/keyring.js';
import { openCredentialSecret } from '../connection-secrets.js';
import type { DuePredicate } from './refresh-connection.js';

/** The SHA-256 digest (32 bytes) of an access token's UTF-8 bytes. */
export const accessTokenSha256 = (accessToken: string) =>
	createHash('sha256').update(accessToken, 'utf8').digest();

/**
 * The due predicate of a compare-and-refresh: the provider is worth a call exactly while the stored
 * access token (or API key) is still the one a caller's API refused, whose SHA-256 (64 hex digits) the caller
 * sent. Judged on the row as read again before the lease is taken, so a token renewed meanwhile
 * (in any process) is answered instead of refreshed again. The stored token is decrypted and
 * hashed; the digests are compared in constant time. Neither the token nor the hash is logged.
 */
export function storedTokenIs(keyring: Keyring, refusedSha256Hex: string): DuePredicate {
	const refused = Buffer.from(refusedSha256Hex, 'hex');
	return async (connection) => {
		const secret = await openCredentialSecret(
			keyring,
			connection.client_id,
			connection.service,
			connection.credential_ciphertext,
		);
		// the bearer value the vault answers: the access token, or the key of an API-key connection
		const bearer = secret.access_token ?? secret.api_key;
		if (bearer === undefined) return false;
		return timingSafeEqual(accessTokenSha256(bearer), refused);
	};
}
