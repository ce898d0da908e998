import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from 'n8n-workflow';

import { VAULT_TIMEOUT_MS } from '../../../shared/vaultFetch';
import type { VaultTarget } from '../../../shared/vaultIds';
import { vaultApiError, vaultBadAnswerError, vaultUnreachableError } from './vaultErrors';

export const CREDENTIAL_TYPE = 'otobotDatabaseApi';

export { VAULT_TIMEOUT_MS };

/** A vault answer as received: any status, body parsed as JSON. */
export interface VaultResponse {
	statusCode: number;
	body: IDataObject;
	/** Whether the body was a JSON object; otherwise `body.message` holds its text. */
	isObject: boolean;
}

export interface VaultRequest {
	method: IHttpRequestMethods;
	path: string;
	target: VaultTarget;
}

/**
 * Sends one request to the vault with the credential's bearer token and the audit headers, and
 * hands back the answer whatever its status: errors are built per item by the caller, since one
 * answer can serve several items.
 */
export async function sendVaultRequest(
	this: IExecuteFunctions,
	vaultUrl: string,
	request: Pick<VaultRequest, 'method' | 'path'>,
): Promise<VaultResponse> {
	const response = (await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_TYPE, {
		method: request.method,
		url: `${vaultUrl}${request.path}`,
		headers: {
			Accept: 'application/json',
			'X-N8N-Workflow-Id': String(this.getWorkflow().id ?? ''),
			'X-N8N-Execution-Id': String(this.getExecutionId() ?? ''),
		},
		json: true,
		timeout: VAULT_TIMEOUT_MS,
		ignoreHttpStatusErrors: true,
		returnFullResponse: true,
	})) as { statusCode: number; body: unknown };
	const isObject =
		response.body !== null && typeof response.body === 'object' && !Array.isArray(response.body);
	const body = isObject
		? (response.body as IDataObject)
		: { message: String(response.body ?? '').slice(0, 300) };
	return { statusCode: response.statusCode, body, isObject };
}

/**
 * Asks the vault once per distinct request within one execution: items that name the same client
 * and service share the answer, so a batch of 100 items for one client costs one vault request.
 */
export class VaultClient {
	private readonly answers = new Map<string, Promise<VaultResponse>>();

	constructor(
		private readonly context: IExecuteFunctions,
		readonly vaultUrl: string,
	) {}

	async request(request: VaultRequest, itemIndex: number): Promise<IDataObject> {
		const key = `${request.method} ${request.path}`;
		let answer = this.answers.get(key);
		if (answer === undefined) {
			answer = sendVaultRequest.call(this.context, this.vaultUrl, request);
			this.answers.set(key, answer);
		}

		let response: VaultResponse;
		try {
			response = await answer;
		} catch (error) {
			throw vaultUnreachableError(this.context.getNode(), this.vaultUrl, error, itemIndex);
		}
		if (response.statusCode >= 200 && response.statusCode < 300) {
			if (!response.isObject) {
				throw vaultBadAnswerError(this.context.getNode(), response, itemIndex);
			}
			return response.body;
		}
		throw vaultApiError(this.context.getNode(), response, request.target, itemIndex);
	}
}
