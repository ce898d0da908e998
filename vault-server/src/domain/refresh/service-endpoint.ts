import type { Keyring } from '../../crypto/keyring.js';
import type { ServiceRow } from '../../storage/services-store.js';
import { serviceSecretContext } from '../services.js';
import { TokenEndpointError, type TokenEndpoint } from '../../oauth/token-endpoint.js';
import type { AnswerRules } from '../../oauth/token-answer.js';
import type { PrivateAddressPolicy } from '../../oauth/address-policy.js';

export interface EndpointOptions {
	timeoutMs: number;
	allowInsecure: boolean;
	/** PROVIDER_PRIVATE_ADDRESSES; `allow` when unset. */
	privateAddresses?: PrivateAddressPolicy;
}

/** How the service's token answers are read (services columns of migration 0012). */
export function answerRulesOf(service: ServiceRow): AnswerRules {
	return {
		fields: service.answer_fields ?? [],
		userTokenField: service.user_token_field ?? null,
		preferUserToken: service.prefer_user_token ?? false,
	};
}

/**
 * The token URL at a regional accounts server: that origin with the path of the service's token
 * URL (Zoho: `https://accounts.zoho.eu` + `/oauth/v2/token`). Null server: the stored token URL.
 * Throws a TokenEndpointError when the server is not (or no longer) in `accounts_servers`.
 */
export function tokenUrlAt(service: ServiceRow, accountsServer: string | null | undefined): string {
	const stored = service.oauth_token_url ?? '';
	if (!accountsServer) return stored;
	if (!(service.accounts_servers ?? []).includes(accountsServer))
		throw new TokenEndpointError(
			'transient',
			"the connection's accounts server is not one the service allows",
		);
	try {
		const url = new URL(stored);
		return `${accountsServer}${url.pathname}${url.search}`;
	} catch {
		return stored;
	}
}

/**
 * The token endpoint of a service as its row describes it, with the app's secret decrypted, at
 * the connection's accounts server when it has one.
 */
export async function tokenEndpointFor(
	service: ServiceRow,
	keyring: Keyring,
	options: EndpointOptions,
	accountsServer?: string | null,
): Promise<TokenEndpoint> {
	const url = tokenUrlAt(service, accountsServer);
	const clientSecret = service.oauth_client_secret_ciphertext
		? await keyring.decryptText(
				service.oauth_client_secret_ciphertext,
				serviceSecretContext(service.name),
			)
		: null;
	return {
		url,
		clientId: service.oauth_client_id,
		clientSecret,
		authMethod: service.token_auth_method,
		format: service.token_request_format,
		extraParams: service.token_params,
		timeoutMs: options.timeoutMs,
		allowInsecure: options.allowInsecure,
		privateAddresses: options.privateAddresses,
		answerRules: answerRulesOf(service),
		errorCodes: { reauth: service.reauth_error_codes, app: service.app_error_codes },
	};
}
