import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import {
	clientIdOverride,
	secretInExecutionDataNotice,
	serviceOverride,
} from '../common.descriptions';
import { forOperation, type OperationContext } from '../operation';
import { credentialPath } from '../../../../shared/vaultIds';
import { resolveTarget } from '../target';

export const description = forOperation('refreshNow', [
	secretInExecutionDataNotice,
	clientIdOverride,
	serviceOverride,
]);

/** Makes the vault refresh the token now and returns the fresh credential. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	{ vault, defaults }: OperationContext,
): Promise<IDataObject> {
	const target = resolveTarget(this, defaults, itemIndex);
	return await vault.request(
		{ method: 'POST', path: `${credentialPath(target)}/refresh`, target },
		itemIndex,
	);
}
