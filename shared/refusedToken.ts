import { createHash } from 'node:crypto';

/**
 * The SHA-256 of an access token, 64 lower-case hex digits: what the vault's compare-and-refresh
 * (`POST /v1/credentials/{client_id}/{service}/refresh` with `if_access_token_sha256`) is told
 * about a token an API refused. The token itself never leaves n8n.
 */
export function accessTokenSha256(accessToken: string): string {
	return createHash('sha256').update(accessToken, 'utf8').digest('hex');
}
