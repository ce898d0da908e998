import { createHash, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../../crypto/keyring.js';
import { VaultError } from '../../errors.js';
import type { ConnectionRow } from '../../storage/connections-store.js';
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

/**
 * The answer to a refresh of a connection the vault cannot renew (an API key, an OAuth2 token
 * without a refresh token): a caller naming a refused token (`refusedSha256`, lower-case hex) that
 * is no longer stored gets the stored, newer credential (`matched: false`).
 *
 * @throws VaultError CREDENTIAL_NOT_ALLOWED (422) otherwise, saying when the refused one is stored.
 */
export async function unrenewable(
	keyring: Keyring,
	connection: ConnectionRow,
	refusedSha256: string | undefined,
): Promise<{ connection: ConnectionRow; refreshed: false; matched: false }> {
	const { client_id: clientId, service } = connection;
	if (refusedSha256 === undefined) {
		throw new VaultError(
			'CREDENTIAL_NOT_ALLOWED',
			`The connection of '${clientId}' to '${service}' cannot be refreshed`,
		);
	}
	if (!(await storedTokenIs(keyring, refusedSha256)(connection, Date.now())))
		return { connection, refreshed: false, matched: false };
	throw new VaultError(
		'CREDENTIAL_NOT_ALLOWED',
		`The stored credential of '${clientId}' for '${service}' is the one that was refused, and the vault cannot renew it: update the connection or have the client reconnect`,
	);
}
