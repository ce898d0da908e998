import type { Keyring } from '../../crypto/keyring.js';
import type { ServiceRow } from '../../storage/services-store.js';
import { serviceSecretContext } from '../services.js';
import type { TokenEndpoint } from '../../oauth/token-endpoint.js';

export interface EndpointOptions {
	timeoutMs: number;
	allowInsecure: boolean;
}

/** The token endpoint of a service as its row describes it, with the app's secret decrypted. */
export async function tokenEndpointFor(
	service: ServiceRow,
	keyring: Keyring,
	options: EndpointOptions,
): Promise<TokenEndpoint> {
	const clientSecret = service.oauth_client_secret_ciphertext
		? await keyring.decryptText(
				service.oauth_client_secret_ciphertext,
				serviceSecretContext(service.name),
			)
		: null;
	return {
		url: service.oauth_token_url ?? '',
		clientId: service.oauth_client_id,
		clientSecret,
		authMethod: service.token_auth_method,
		format: service.token_request_format,
		extraParams: service.token_params,
		timeoutMs: options.timeoutMs,
		allowInsecure: options.allowInsecure,
		errorCodes: { reauth: service.reauth_error_codes, app: service.app_error_codes },
	};
}
