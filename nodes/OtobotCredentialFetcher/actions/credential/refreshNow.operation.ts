import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import {
	clientIdOverride,
	secretInExecutionDataNotice,
	serviceOverride,
} from '../common.descriptions';
import { forOperation, type OperationContext } from '../operation';
import { accessTokenSha256 } from '../../../../shared/refusedToken';
import { credentialPath } from '../../../../shared/vaultIds';
import { resolveTarget } from '../target';

const refusedAccessToken: INodeProperties = {
	displayName: 'Only If This Token Was Refused',
	name: 'refusedAccessToken',
	type: 'string',
	typeOptions: { password: true },
	default: '',
	placeholder: 'e.g. {{ $json.access_token }}',
	description:
		"The access token an API just refused (answered 401), e.g. the output of Get Access Token. The vault then refreshes only if it still stores this token, and otherwise returns the newer token it already has. Only its SHA-256 is sent. Leave empty to refresh now, at most once per the vault's manual-refresh interval.",
};

export const description = forOperation('refreshNow', [
	secretInExecutionDataNotice,
	clientIdOverride,
	serviceOverride,
	refusedAccessToken,
]);

/**
 * Makes the vault refresh the token now and returns the fresh credential; with a refused token,
 * a compare-and-refresh (`if_access_token_sha256`): `refreshed` says whether the provider was
 * called.
 */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	{ vault, defaults }: OperationContext,
): Promise<IDataObject> {
	const target = resolveTarget(this, defaults, itemIndex);
	const refused = String(this.getNodeParameter('refusedAccessToken', itemIndex, '')).trim();
	return await vault.request(
		{
			method: 'POST',
			path: `${credentialPath(target)}/refresh`,
			target,
			...(refused === '' ? {} : { body: { if_access_token_sha256: accessTokenSha256(refused) } }),
		},
		itemIndex,
	);
}
