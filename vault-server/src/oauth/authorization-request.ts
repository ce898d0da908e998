import type { ServiceRow } from '../storage/services-store.js';
import type { PkcePair } from './pkce.js';
import { parseScopeList } from './scopes.js';

export interface AuthorizationRequest {
	service: ServiceRow;
	redirectUri: string;
	state: string;
	pkce: PkcePair | null;
}

/** The service's space-separated scopes, as a list. */
export const scopesOf = (service: ServiceRow): string[] => parseScopeList(service.oauth_scopes);

/**
 * The URL the client's browser is sent to (RFC 6749 §4.1.1): the service's stored authorization
 * URL with `response_type=code`, `client_id`, `redirect_uri`, `scope` joined with the service's
 * separator (§3.3 says space; Slack and Zoho want commas), `state` (§10.12) and the PKCE
 * challenge (RFC 7636 §4.3). The service's own parameters go first, so none of them can replace
 * the redirect URI, the state or the client id.
 */
export function authorizationUrl(request: AuthorizationRequest): string {
	const { service } = request;
	const url = new URL(service.oauth_authorization_url ?? '');
	for (const [name, value] of Object.entries(service.authorization_params)) {
		url.searchParams.set(name, value);
	}
	url.searchParams.set('response_type', 'code');
	url.searchParams.set('client_id', service.oauth_client_id ?? '');
	url.searchParams.set('redirect_uri', request.redirectUri);
	const scopes = scopesOf(service);
	if (scopes.length > 0) url.searchParams.set('scope', scopes.join(service.scope_separator));
	else url.searchParams.delete('scope');
	url.searchParams.set('state', request.state);
	if (request.pkce) {
		url.searchParams.set('code_challenge', request.pkce.challenge);
		url.searchParams.set('code_challenge_method', request.pkce.method);
	} else {
		url.searchParams.delete('code_challenge');
		url.searchParams.delete('code_challenge_method');
	}
	return url.toString();
}
