import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeProperties,
} from 'n8n-workflow';

import { credentialPath } from '../../../../shared/vaultIds';
import {
	clientIdOverride,
	secretInExecutionDataNotice,
	serviceOverride,
} from '../common.descriptions';
import { forOperation, type OperationContext } from '../operation';
import { resolveTarget } from '../target';

// Node's Buffer, present in every n8n process; the package compiles without @types/node.
declare const Buffer: { from(text: string, encoding: 'utf8'): { toString(to: 'base64'): string } };

const output: INodeProperties = {
	displayName: 'Output',
	name: 'output',
	type: 'options',
	options: [
		{
			name: 'Full Credential',
			value: 'full',
			description:
				"Every field the vault returns: access_token, api_key, username, password, scopes, expiry, and metadata (the provider's non-secret answer fields the service keeps, such as Salesforce's instance_url or Zoho's api_domain)",
		},
		{
			name: 'Authorization Header Only',
			value: 'authorizationHeader',
			description:
				'Only client, service, type, expiry, metadata (such as the API host to call) and authorization_header, ready for an HTTP Request node: no separate secret fields',
		},
	],
	default: 'full',
	description:
		"What the node outputs. Whatever it outputs stays in n8n's execution data: the OAuth2 Token credential keeps the token out of it.",
};

export const description = forOperation('getCredentials', [
	secretInExecutionDataNotice,
	clientIdOverride,
	serviceOverride,
	output,
]);

/**
 * The Authorization header value for a vault credential: `Bearer <access_token or api_key>`
 * (RFC 6750 section 2.1) or `Basic <base64(username:password)>` (RFC 7617 section 2); `undefined`
 * when the credential holds none of them.
 */
export function authorizationHeader(credential: IDataObject): string | undefined {
	const token = credential.access_token ?? credential.api_key;
	if (typeof token === 'string' && token !== '') return `Bearer ${token}`;
	if (typeof credential.username === 'string' && typeof credential.password === 'string') {
		const pair = `${credential.username}:${credential.password}`;
		return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
	}
	return undefined;
}

/**
 * The credential the vault holds for the client and service: every field (token, type, scopes,
 * expiry, metadata), or with Output "Authorization Header Only" just `authorization_header`, what
 * names it and the non-secret metadata (Salesforce's `instance_url`: the host to send it to).
 */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	{ vault, defaults }: OperationContext,
): Promise<IDataObject> {
	const target = resolveTarget(this, defaults, itemIndex);
	const credential = await vault.request(
		{ method: 'GET', path: credentialPath(target), target },
		itemIndex,
	);
	if (this.getNodeParameter('output', itemIndex, 'full') !== 'authorizationHeader')
		return credential;

	const header = authorizationHeader(credential);
	if (header === undefined) {
		throw new NodeOperationError(
			this.getNode(),
			`The ${target.service} connection of client "${target.clientId}" holds nothing to send as an Authorization header`,
			{
				itemIndex,
				description: `Its type is ${String(credential.type)}: use Output "Full Credential".`,
			},
		);
	}
	return {
		client_id: target.clientId,
		service: target.service,
		type: credential.type,
		expires_at: credential.expires_at ?? null,
		metadata: credential.metadata ?? {},
		authorization_header: header,
	};
}
