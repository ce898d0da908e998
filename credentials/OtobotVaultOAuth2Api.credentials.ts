import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestHelper,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

import { describeNoAccessToken, oneLine } from '../shared/vaultAnswers';
import { readVaultCredential } from '../shared/vaultCredential';
import { fetchVaultCredential, VAULT_TIMEOUT_MS, type VaultCall } from '../shared/vaultFetch';
import { vaultConnectionProperties } from './OtobotServices';

const CREDENTIAL_NAME = 'Otobot Vault Token (OAuth2) credential';

/**
 * A client's live access token, fetched from the vault, for n8n's HTTP Request node and any node
 * that accepts generic credentials. n8n stores the token in the hidden expirable field and calls
 * `preAuthentication` again when the field is empty or the API answered 401, so a token the vault
 * refreshed is picked up without the builder copying anything.
 */
export class OtobotVaultOAuth2Api implements ICredentialType {
	name = 'otobotVaultOAuth2Api';

	// n8n names a new credential after its type with the words API, OAuth1 and OAuth2 left out:
	// "OAuth2" in parentheses is kept, so the default name "Otobot Vault Token (OAuth2) account"
	// names the type. The ' API' suffix (required by n8n's community-package scanner, npm run scan)
	// is dropped the same way.
	displayName = 'Otobot Vault Token (OAuth2) API';

	icon: Icon = { light: 'file:../icons/otobot.svg', dark: 'file:../icons/otobot.dark.svg' };

	documentationUrl =
		'https://github.com/otobot/n8n-nodes-otobot#the-otobot-vault-token-oauth2-credential';

	properties: INodeProperties[] = [
		...vaultConnectionProperties,
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
	];

	/**
	 * Fetches the client's token (`access_token`, else `api_key`) from the vault, with the Client
	 * ID and service normalised and checked by shared/vaultIds.ts as the Credential Fetcher node
	 * does, and the package's one message for each failure. n8n calls this with the hidden field
	 * empty (first use) or, after the API answered 401, with the refused token in it: then the vault
	 * is asked to compare-and-refresh (only the token's SHA-256 is sent), so it renews the token
	 * exactly when it still stores the refused one and otherwise answers its newer token.
	 *
	 * @throws Error with that message; n8n shows it on the node or as the Test result.
	 */
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const settings = readVaultCredential(credentials);
		const call: VaultCall = async ({ method, url, headers, body }) =>
			(await this.helpers.httpRequest({
				method,
				url,
				headers: { Accept: 'application/json', ...headers },
				...(body === undefined ? {} : { body }),
				json: true,
				timeout: VAULT_TIMEOUT_MS,
				ignoreHttpStatusErrors: true,
				returnFullResponse: true,
			})) as { statusCode: number; body: unknown };

		const refused = credentials.accessToken;
		const result = await fetchVaultCredential(call, settings, CREDENTIAL_NAME, {
			refusedAccessToken: typeof refused === 'string' && refused !== '' ? refused : undefined,
		});
		if (!result.ok) throw new Error(oneLine(result.problem));
		const token = result.credential.access_token ?? result.credential.api_key;
		if (typeof token !== 'string' || token === '') {
			throw new Error(oneLine(describeNoAccessToken(result.target, result.credential.type)));
		}
		return { accessToken: token };
	}

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.accessToken}}',
			},
		},
	};

	// n8n runs preAuthentication before this request while testing, so a vault refusal surfaces
	// with the message below; the request itself only proves the vault is reachable.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.vaultUrl.trim().replace(/\\/+$/, "")}}',
			url: '/health',
			method: 'GET',
		},
	};
}
