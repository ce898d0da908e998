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

	// n8n's community-package scanner (npm run scan) requires the ' API' suffix; n8n leaves the word
	// API out of a new credential's default name, so builders still see "Otobot Database Credential
	// account" in their workflows.
	displayName = 'Otobot Database Credential API';

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
