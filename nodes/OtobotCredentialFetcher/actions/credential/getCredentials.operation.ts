import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { clientIdOverride, serviceOverride } from '../common.descriptions';
import { forOperation, type OperationContext } from '../operation';
import { credentialPath } from '../../../../shared/vaultIds';
import { resolveTarget } from '../target';

export const description = forOperation('getCredentials', [clientIdOverride, serviceOverride]);

/** The full credential the vault holds for the client and service (token, type, scopes, expiry). */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	{ vault, defaults }: OperationContext,
): Promise<IDataObject> {
	const target = resolveTarget(this, defaults, itemIndex);
	return await vault.request({ method: 'GET', path: credentialPath(target), target }, itemIndex);
}
