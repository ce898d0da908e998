import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { clientIdOverride } from '../common.descriptions';
import { forOperation, type OperationContext } from '../operation';
import { resolveTarget } from '../target';

export const description = forOperation('listConnections', [clientIdOverride]);

/** One output item per connection of the client, with its status and expiry. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	{ vault, defaults }: OperationContext,
): Promise<IDataObject[]> {
	const target = resolveTarget(this, defaults, itemIndex, true);
	const answer = await vault.request(
		{
			method: 'GET',
			path: `/v1/clients/${encodeURIComponent(target.clientId)}/connections`,
			target,
		},
		itemIndex,
	);
	return Array.isArray(answer.connections) ? (answer.connections as IDataObject[]) : [];
}
