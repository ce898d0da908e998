import type {
	IAuthenticateGeneric,
	IAuthenticateRuleResponseSuccessBody,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { SERVICE_EXPRESSION, vaultConnectionProperties } from './OtobotServices';

/**
 * What the Credential Fetcher node presents to the vault: the vault's read-scoped internal token,
 * plus the client and service the node uses unless an item overrides them.
 */
export class OtobotDatabaseApi implements ICredentialType {
	name = 'otobotDatabaseApi';

	// The name builders see in n8n and in the seed's workflows; an 'API' suffix would only confuse them.
	// eslint-disable-next-line n8n-nodes-base/cred-class-field-display-name-missing-api
	displayName = 'Otobot Database Credential';

	icon: Icon = { light: 'file:../icons/otobot.svg', dark: 'file:../icons/otobot.dark.svg' };

	documentationUrl = 'https://github.com/otobot/n8n-nodes-otobot#create-the-credential';

	properties: INodeProperties[] = [...vaultConnectionProperties];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.internalToken}}',
			},
		},
	};

	// Error answers are read as bodies so each vault code gets its own message in n8n's
	// "Test" result rather than a bare HTTP status text.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.vaultUrl.replace(/\\/+$/, "")}}',
			url: `=/v1/credentials/{{encodeURIComponent($credentials.clientId)}}/{{encodeURIComponent(${SERVICE_EXPRESSION})}}`,
			method: 'GET',
			ignoreHttpStatusErrors: true,
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'code',
					value: 'UNAUTHORIZED',
					message: 'The vault rejected the Internal Token (UNAUTHORIZED). Check the token.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'code',
					value: 'FORBIDDEN',
					message: 'The Internal Token may not read credentials (FORBIDDEN). Use the read token.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'code',
					value: 'CLIENT_NOT_FOUND',
					message: 'The vault has no client with this Client ID (CLIENT_NOT_FOUND).',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'code',
					value: 'SERVICE_NOT_FOUND',
					message: 'The vault does not know this service (SERVICE_NOT_FOUND). Check the Service.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'code',
					value: 'CONNECTION_NOT_FOUND',
					message: 'The client has not connected this service in the vault (CONNECTION_NOT_FOUND).',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'code',
					value: 'CONNECTION_NEEDS_REAUTH',
					message:
						'The client must reconnect this service: the vault can no longer refresh it (CONNECTION_NEEDS_REAUTH).',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'code',
					value: 'REFRESH_FAILED',
					message: 'The vault could not refresh the token right now (REFRESH_FAILED). Try again.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'code',
					value: 'RATE_LIMITED',
					message: 'The vault is rate limiting this token (RATE_LIMITED). Try again shortly.',
				},
			},
			...[400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 502, 503, 504].map(
				(statusCode): IAuthenticateRuleResponseSuccessBody => ({
					type: 'responseSuccessBody',
					properties: {
						key: 'statusCode',
						value: statusCode,
						message: `The vault answered HTTP ${statusCode}. Check the Vault URL and the vault's logs.`,
					},
				}),
			),
		],
	};
}
