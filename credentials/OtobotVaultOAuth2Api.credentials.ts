import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

import { OTHER_SERVICE, vaultConnectionProperties } from './OtobotServices';

/**
 * A client's live access token, fetched from the vault, for n8n's HTTP Request node and any node
 * that accepts generic credentials. n8n stores the token in the hidden expirable field and calls
 * `preAuthentication` again when the field is empty or the API answered 401, so a token the vault
 * refreshed is picked up without the builder copying anything.
 */
export class OtobotVaultOAuth2Api implements ICredentialType {
	name = 'otobotVaultOAuth2Api';

	// The name builders see in n8n and in the seed's workflows; an 'API' suffix would only confuse them.
	// eslint-disable-next-line n8n-nodes-base/cred-class-field-display-name-missing-api
	displayName = 'Otobot Vault OAuth2 Token';

	icon: Icon = { light: 'file:../icons/otobot.svg', dark: 'file:../icons/otobot.dark.svg' };

	documentationUrl =
		'https://github.com/otobot/n8n-nodes-otobot#the-otobot-vault-oauth2-token-credential';

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

	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const vaultUrl = String(credentials.vaultUrl ?? '').replace(/\/+$/, '');
		const clientId = String(credentials.clientId ?? '');
		const service = String(
			credentials.service === OTHER_SERVICE ? credentials.otherService : credentials.service,
		);
		const response = (await this.helpers.httpRequest({
			method: 'GET',
			url: `${vaultUrl}/v1/credentials/${encodeURIComponent(clientId)}/${encodeURIComponent(service)}`,
			headers: { Authorization: `Bearer ${String(credentials.internalToken ?? '')}` },
			json: true,
			ignoreHttpStatusErrors: true,
			returnFullResponse: true,
		})) as { statusCode: number; body: IDataObject };

		const body = response.body ?? {};
		const token = body.access_token ?? body.api_key;
		if (response.statusCode !== 200 || typeof token !== 'string' || token === '') {
			throw new Error(describeVaultRefusal(response.statusCode, body, clientId, service));
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
			baseURL: '={{$credentials.vaultUrl.replace(/\\/+$/, "")}}',
			url: '/health',
			method: 'GET',
		},
	};
}

function describeVaultRefusal(
	statusCode: number,
	body: IDataObject,
	clientId: string,
	service: string,
): string {
	const vaultSays = typeof body.message === 'string' ? ` The vault said: ${body.message}` : '';
	switch (body.code) {
		case 'CONNECTION_NEEDS_REAUTH': {
			const hint = [body.reconnect_hint, body.reconnect_url].filter((v) => typeof v === 'string');
			return `Client "${clientId}" must reconnect ${service} in the vault.${hint.length ? ` ${hint.join(' ')}` : vaultSays}`;
		}
		case 'UNAUTHORIZED':
			return `The vault rejected the Internal Token.${vaultSays}`;
		case 'CLIENT_NOT_FOUND':
			return `The vault has no client "${clientId}".${vaultSays}`;
		case 'CONNECTION_NOT_FOUND':
			return `Client "${clientId}" has not connected ${service} in the vault.${vaultSays}`;
		default:
			if (statusCode === 200) {
				return `The vault holds no access token for client "${clientId}" and ${service}.`;
			}
			return `The vault answered HTTP ${statusCode} for client "${clientId}" and ${service}.${vaultSays}`;
	}
}
