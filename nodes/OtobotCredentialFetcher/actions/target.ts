import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import {
	checkClientId,
	checkService,
	normaliseClientId,
	normaliseService,
	type VaultIdError,
	type VaultTarget,
} from '../../../shared/vaultIds';

/** Client and service the credential names when an item does not override them (normalised). */
export interface TargetDefaults {
	clientId: string;
	service: string;
}

const FIELDS = { clientId: 'Client ID', service: 'Service' } as const;

/**
 * The client (and, unless `clientOnly`, the service) item `itemIndex` asks about: the node's
 * fields when set, else the credential's, normalised and checked by shared/vaultIds.ts exactly as
 * both credentials do. Values the vault could never match fail here, on the item, with the
 * package's one message for them.
 */
export function resolveTarget(
	context: IExecuteFunctions,
	defaults: TargetDefaults,
	itemIndex: number,
	clientOnly = false,
): VaultTarget {
	const clientIdOverride = context.getNodeParameter('clientId', itemIndex, '');
	const serviceOverride = clientOnly ? '' : context.getNodeParameter('service', itemIndex, '');
	try {
		const clientId = checkClientId(normaliseClientId(clientIdOverride) || defaults.clientId);
		if (clientOnly) return { clientId };
		const service = checkService(normaliseService(serviceOverride) || defaults.service);
		return { clientId, service };
	} catch (error) {
		// only the checks above throw here, and only VaultIdError
		const field = FIELDS[(error as VaultIdError).field];
		throw new NodeOperationError(context.getNode(), error as Error, {
			itemIndex,
			description: `Set the ${field} of the node (an expression may compute it) or of the Otobot Database Credential.`,
		});
	}
}
