import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { VaultClient } from '../transport';
import type { TargetDefaults } from './target';

/** What the router hands every operation for one item. */
export interface OperationContext {
	vault: VaultClient;
	defaults: TargetDefaults;
}

export type OperationExecute = (
	this: IExecuteFunctions,
	itemIndex: number,
	context: OperationContext,
) => Promise<IDataObject | IDataObject[]>;

/** Shows `properties` only for `operation` of the Credential resource. */
export function forOperation(operation: string, properties: INodeProperties[]): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		displayOptions: { show: { resource: ['credential'], operation: [operation] } },
	}));
}
