import type { Keyring } from '../crypto/keyring.js';
import type { Actor } from './api-tokens.js';
import { loadConnectionForFetch, revealCredential, type FetchedCredential } from './connections.js';
import type { FetchLookups } from './fetch-lookups.js';
import type { ConnectionRefresher } from './refresh/connection-refresher.js';

/** What a credential fetch reads from: the lookups, the refresher and the keyring. */
export interface CredentialFetchDeps {
	lookups: FetchLookups;
	refresher: ConnectionRefresher;
	keyring: Keyring;
}

/**
 * A client's current credential for a service, as GET /v1/credentials/:client_id/:service and
 * each pair of the batch answer it: an OAuth2 token due within the skew is refreshed first (once
 * per connection, however many callers ask). Throws the fetch's VaultErrors: CLIENT_NOT_FOUND,
 * CONNECTION_NOT_FOUND (404), CONNECTION_NEEDS_REAUTH (409), REFRESH_FAILED (503),
 * VAULT_DECRYPTION_FAILED (500).
 */
export async function fetchCredential(
	deps: CredentialFetchDeps,
	clientId: string,
	service: string,
	actor: Actor | undefined,
	options: { includeRefreshToken: boolean },
): Promise<FetchedCredential> {
	const stored = await loadConnectionForFetch(deps.lookups, clientId, service);
	const connection = await deps.refresher.freshForFetch(stored, actor);
	return revealCredential(deps.keyring, connection, options);
}
