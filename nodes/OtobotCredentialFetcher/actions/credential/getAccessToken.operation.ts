import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import {
	clientIdOverride,
	secretInExecutionDataNotice,
	serviceOverride,
} from '../common.descriptions';
import { forOperation, type OperationContext } from '../operation';
import { describeNoAccessToken } from '../../../../shared/vaultAnswers';
import { credentialPath } from '../../../../shared/vaultIds';
import { resolveTarget } from '../target';

export const description = forOperation('getAccessToken', [
	secretInExecutionDataNotice,
	clientIdOverride,
	serviceOverride,
]);

/**
 * Just the token, with an `authorization_header` value an HTTP Request node can use as is
 * (`Bearer <token>`, RFC 6750 section 2.1), and the connection's non-secret metadata (the API
 * host some providers name in their token answer, such as Salesforce's `instance_url`).
 */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	{ vault, defaults }: OperationContext,
): Promise<IDataObject> {
	const target = resolveTarget(this, defaults, itemIndex);
	const credential = await vault.request(
		{ method: 'GET', path: credentialPath(target), target },
		itemIndex,
	);

	const token = credential.access_token ?? credential.api_key;
	if (typeof token !== 'string' || token === '') {
		const problem = describeNoAccessToken(target, credential.type);
		throw new NodeOperationError(this.getNode(), problem.message, {
			itemIndex,
			description: problem.details.join('\n'),
		});
	}
	return {
		client_id: target.clientId,
		service: target.service,
		access_token: token,
		token_type: credential.token_type ?? 'Bearer',
		expires_at: credential.expires_at ?? null,
		metadata: credential.metadata ?? {},
		authorization_header: `Bearer ${token}`,
	};
}
