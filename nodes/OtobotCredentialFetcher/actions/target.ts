import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

import type { VaultTarget } from '../transport/vaultErrors';

/** Client and service the credential names when an item does not override them. */
export interface TargetDefaults {
	clientId: string;
	service: string;
}

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const SERVICE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function readOverride(
	context: IExecuteFunctions,
	name: 'clientId' | 'service',
	itemIndex: number,
): string {
	const value = context.getNodeParameter(name, itemIndex, '') as unknown;
	if (value === null || value === undefined) return '';
	if (typeof value !== 'string' && typeof value !== 'number') {
		throw new NodeOperationError(
			context.getNode(),
			`The ${name === 'clientId' ? 'Client ID' : 'Service'} must be text, not ${typeof value}`,
			{ itemIndex },
		);
	}
	return String(value).trim();
}

/**
 * The client (and, unless `clientOnly`, the service) item `itemIndex` asks about: the node's
 * fields when set, else the credential's. Values the vault could never match fail here, on the
 * item, instead of as a puzzling 404.
 */
export function resolveTarget(
	context: IExecuteFunctions,
	defaults: TargetDefaults,
	itemIndex: number,
	clientOnly = false,
): VaultTarget {
	const clientId = readOverride(context, 'clientId', itemIndex) || defaults.clientId;
	if (!CLIENT_ID.test(clientId)) {
		throw new NodeOperationError(
			context.getNode(),
			clientId === ''
				? 'No Client ID: set one in the node or in the Otobot Database Credential'
				: `"${clientId}" is not a valid Client ID`,
			{
				itemIndex,
				description:
					'A Client ID starts with a letter or digit and holds letters, digits and . _ : @ - (at most 128).',
			},
		);
	}
	if (clientOnly) return { clientId };

	const service = (readOverride(context, 'service', itemIndex) || defaults.service).toLowerCase();
	if (!SERVICE.test(service)) {
		throw new NodeOperationError(
			context.getNode(),
			service === ''
				? 'No Service: set one in the node or in the Otobot Database Credential'
				: `"${service}" is not a valid service name`,
			{
				itemIndex,
				description:
					'A service name is lower-case letters, digits and . _ - as registered in the vault, e.g. google.',
			},
		);
	}
	return { clientId, service };
}

/** The vault path of one client's credential for one service. */
export function credentialPath(target: VaultTarget): string {
	return `/v1/credentials/${encodeURIComponent(target.clientId)}/${encodeURIComponent(target.service ?? '')}`;
}
