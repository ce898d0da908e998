import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { checkVaultUrl, readVaultCredential } from '../../../shared/vaultCredential';
import { CREDENTIAL_TYPE, DEFAULT_MAX_RATE_LIMIT_WAIT_MS, VaultClient } from '../transport';
import { CREDENTIAL_NAME } from '../transport/vaultErrors';
import { BATCHED_OPERATIONS, prefetchCredentials } from './batchFetch';
import * as credential from './credential/Credential.resource';
import type { OperationExecute } from './operation';
import type { TargetDefaults } from './target';

const operations: Record<string, OperationExecute> = {
	getAccessToken: credential.getAccessToken.execute,
	getCredentials: credential.getCredentials.execute,
	listConnections: credential.listConnections.execute,
	refreshNow: credential.refreshNow.execute,
};

async function readCredential(
	context: IExecuteFunctions,
): Promise<{ vaultUrl: string; defaults: TargetDefaults }> {
	const data = await context.getCredentials(CREDENTIAL_TYPE);
	try {
		const { vaultUrl, clientId, service } = readVaultCredential(data);
		return { vaultUrl: checkVaultUrl(vaultUrl, CREDENTIAL_NAME), defaults: { clientId, service } };
	} catch (error) {
		throw new NodeOperationError(context.getNode(), error as Error);
	}
}

/** Runs the chosen operation for every input item; one vault answer serves equal requests. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const execute = operations[operation];
	if (resource !== 'credential' || execute === undefined) {
		throw new NodeOperationError(
			this.getNode(),
			`The operation "${operation}" of resource "${resource}" is not supported`,
		);
	}

	const { vaultUrl, defaults } = await readCredential(this);
	const maxWaitSeconds = this.getNodeParameter(
		'maxRateLimitWait',
		0,
		DEFAULT_MAX_RATE_LIMIT_WAIT_MS / 1000,
	) as number;
	const context = { vault: new VaultClient(this, vaultUrl, maxWaitSeconds * 1000), defaults };
	if (BATCHED_OPERATIONS.has(operation)) await prefetchCredentials(this, context);
	const items = this.getInputData();
	const returnData: INodeExecutionData[] = [];

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const result = await execute.call(this, itemIndex, context);
			const results = Array.isArray(result) ? result : [result];
			for (const json of results) {
				returnData.push({ json, pairedItem: { item: itemIndex } });
			}
		} catch (error) {
			if (!this.continueOnFail()) {
				// Vault and parameter errors arrive typed; anything else gets the item index too.
				throw error instanceof NodeApiError
					? error
					: new NodeOperationError(this.getNode(), error, { itemIndex });
			}
			const json: IDataObject = { error: error.message };
			if (error.description) json.description = error.description;
			if (error.context?.vaultCode) json.code = error.context.vaultCode;
			returnData.push({ json, pairedItem: { item: itemIndex } });
		}
	}
	return [returnData];
}
