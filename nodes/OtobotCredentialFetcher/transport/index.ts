import {
	sleep,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestMethods,
} from 'n8n-workflow';

import { VAULT_TIMEOUT_MS } from '../../../shared/vaultFetch';
import type { VaultTarget } from '../../../shared/vaultIds';
import { retryAfterMs } from './rateLimitWait';
import { vaultApiError, vaultBadAnswerError, vaultUnreachableError } from './vaultErrors';

export const CREDENTIAL_TYPE = 'otobotDatabaseApi';

export { VAULT_TIMEOUT_MS };

/** A vault answer as received: any status, body parsed as JSON. */
export interface VaultResponse {
	statusCode: number;
	body: IDataObject;
	/** Whether the body was a JSON object; otherwise `body.message` holds its text. */
	isObject: boolean;
	/** The answer's headers, as n8n's request helper gives them (lower-case names). */
	headers?: unknown;
}

export interface VaultRequest {
	method: IHttpRequestMethods;
	path: string;
	target: VaultTarget;
	/** A JSON body (the batch fetch's pairs, a compare-and-refresh's token hash). */
	body?: IDataObject;
}

/** The Max Wait on Rate Limit option's default: what one request may wait in all, in ms. */
export const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 120_000;

/**
 * Sends one request to the vault with the credential's bearer token and the audit headers, and
 * hands back the answer whatever its status: errors are built per item by the caller, since one
 * answer can serve several items. A `429` with `Retry-After` is waited out and the request sent
 * again, for up to `maxWaitMs` in all; past that the 429 is the answer (RATE_LIMITED per item).
 */
export async function sendVaultRequest(
	this: IExecuteFunctions,
	vaultUrl: string,
	request: Pick<VaultRequest, 'method' | 'path' | 'body'>,
	maxWaitMs = DEFAULT_MAX_RATE_LIMIT_WAIT_MS,
): Promise<VaultResponse> {
	let waitedMs = 0;
	for (;;) {
		const response = await sendOnce.call(this, vaultUrl, request);
		const waitMs = response.statusCode === 429 ? retryAfterMs(response.headers) : undefined;
		if (waitMs === undefined || waitedMs + waitMs > maxWaitMs) return response;
		await sleep(waitMs);
		waitedMs += waitMs;
	}
}

async function sendOnce(
	this: IExecuteFunctions,
	vaultUrl: string,
	request: Pick<VaultRequest, 'method' | 'path' | 'body'>,
): Promise<VaultResponse> {
	const response = (await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_TYPE, {
		method: request.method,
		url: `${vaultUrl}${request.path}`,
		headers: {
			Accept: 'application/json',
			'X-N8N-Workflow-Id': String(this.getWorkflow().id ?? ''),
			'X-N8N-Execution-Id': String(this.getExecutionId() ?? ''),
		},
		...(request.body === undefined ? {} : { body: request.body }),
		json: true,
		timeout: VAULT_TIMEOUT_MS,
		ignoreHttpStatusErrors: true,
		returnFullResponse: true,
	})) as { statusCode: number; body: unknown; headers?: unknown };
	const isObject =
		response.body !== null && typeof response.body === 'object' && !Array.isArray(response.body);
	const body = isObject
		? (response.body as IDataObject)
		: { message: String(response.body ?? '').slice(0, 300) };
	return { statusCode: response.statusCode, body, isObject, headers: response.headers };
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
		private readonly maxRateLimitWaitMs = DEFAULT_MAX_RATE_LIMIT_WAIT_MS,
	) {}

	/**
	 * Keeps `response` as the answer to `method path` for this execution: what the batch fetch
	 * answered for one pair serves the items that ask for it as the single fetch's answer would.
	 */
	remember(method: IHttpRequestMethods, path: string, response: Promise<VaultResponse>): void {
		// an item that fails first (without Continue On Fail) never awaits the others' answers
		response.catch(() => undefined);
		this.answers.set(`${method} ${path}`, response);
	}

	/** Sends a request now, without sharing its answer (the batch fetch). */
	async send(request: Pick<VaultRequest, 'method' | 'path' | 'body'>): Promise<VaultResponse> {
		return await sendVaultRequest.call(
			this.context,
			this.vaultUrl,
			request,
			this.maxRateLimitWaitMs,
		);
	}

	async request(request: VaultRequest, itemIndex: number): Promise<IDataObject> {
		// items asking the same thing share an answer; a body (a refused token's hash) is part of it
		const body = request.body === undefined ? '' : ` ${JSON.stringify(request.body)}`;
		const key = `${request.method} ${request.path}${body}`;
		let answer = this.answers.get(key);
		if (answer === undefined) {
			answer = this.send(request);
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
