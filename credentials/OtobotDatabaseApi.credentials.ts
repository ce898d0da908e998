import type { IAuthenticateGeneric, Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

import { vaultConnectionProperties } from './OtobotServices';

/**
 * What the Credential Fetcher node presents to the vault: the vault's read-scoped internal token,
 * plus the client and service the node uses unless an item overrides them.
 *
 * Its **Test** is the node's `otobotDatabaseApiTest` (`testedBy`): a function, so it normalises
 * and checks the Client ID and service with shared/vaultIds.ts as the node does, and says "Could
 * not reach the Otobot Vault at …" rather than a bare error code when the vault is unreachable.
 * n8n uses a credential's own `test` before any `testedBy`, so this class must not declare one.
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
}
