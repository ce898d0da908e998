import { createServer, type AddressInfo } from 'node:net';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
} from 'n8n-workflow';

import { OtobotDatabaseApi } from '../credentials/OtobotDatabaseApi.credentials';

type ParameterValue = unknown | ((itemIndex: number) => unknown);

export interface ContextOptions {
	credential: ICredentialDataDecryptedObject;
	parameters: Record<string, ParameterValue>;
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	/** What the node reports as X-N8N-Execution-Id: lets a test find its requests in the audit. */
	executionId?: string;
	/** Shortens the node's request timeout, so a test of a hanging vault takes milliseconds. */
	maxTimeoutMs?: number;
	/** Collects every request the node sends (method and URL), to count them. */
	requests?: string[];
}

/** Resolves `={{$credentials.x}}`-style templates the way n8n does for these simple cases. */
function resolveCredentialTemplate(value: string, credential: ICredentialDataDecryptedObject) {
	return value
		.replace(/^=/, '')
		.replace(/\{\{\s*\$credentials\.(\w+)\s*\}\}/g, (_, key: string) => String(credential[key]));
}

/**
 * Sends a request as n8n's `httpRequest` helper does for these options: JSON parsed, `timeout`
 * (axios's message when it expires), and `ignoreHttpStatusErrors` and `returnFullResponse`
 * honoured. Real HTTP, so the code under test meets a real server.
 */
export async function httpRequest(options: IHttpRequestOptions, maxTimeoutMs = Infinity) {
	const timeout = options.timeout ? Math.min(options.timeout, maxTimeoutMs) : undefined;
	let response: Response;
	let text: string;
	try {
		const json = options.body !== undefined && options.json;
		response = await fetch(options.url, {
			method: options.method ?? 'GET',
			headers: {
				...(options.headers as Record<string, string>),
				...(json ? { 'content-type': 'application/json' } : {}),
			},
			body: json ? JSON.stringify(options.body) : undefined,
			signal: timeout ? AbortSignal.timeout(timeout) : undefined,
		});
		text = await response.text();
	} catch (error) {
		if ((error as Error).name === 'TimeoutError') {
			throw new Error(`timeout of ${options.timeout}ms exceeded`);
		}
		throw error;
	}
	let body: unknown = text;
	try {
		body = JSON.parse(text);
	} catch {
		// not JSON: keep the text, as n8n does
	}
	if (!response.ok && !options.ignoreHttpStatusErrors) {
		throw new Error(`Request failed with status code ${response.status}`);
	}
	return options.returnFullResponse
		? { statusCode: response.status, body, headers: Object.fromEntries(response.headers) }
		: body;
}

/** `httpRequestWithAuthentication` for the Otobot credential: its `authenticate` headers applied. */
export async function httpRequestWithAuthentication(
	credential: ICredentialDataDecryptedObject,
	options: IHttpRequestOptions,
	maxTimeoutMs?: number,
) {
	const authenticate = new OtobotDatabaseApi().authenticate.properties.headers ?? {};
	const headers: Record<string, string> = { ...(options.headers as Record<string, string>) };
	for (const [name, template] of Object.entries(authenticate)) {
		headers[name] = resolveCredentialTemplate(String(template), credential);
	}
	return await httpRequest({ ...options, headers }, maxTimeoutMs);
}

/**
 * What n8n hands a node's `credentialTest` method: only the legacy `request` helper, here with the
 * request-promise options the package uses (`uri`, `simple: false`, `resolveWithFullResponse`,
 * `json`, `timeout`) on real HTTP. Like n8n, it rejects only when no answer came.
 */
export function credentialTestContext(): ICredentialTestFunctions {
	const request = async (options: {
		uri: string;
		method?: IHttpRequestOptions['method'];
		headers?: Record<string, string>;
		timeout?: number;
	}) =>
		await httpRequest({
			url: options.uri,
			method: options.method,
			headers: options.headers,
			timeout: options.timeout,
			ignoreHttpStatusErrors: true,
			returnFullResponse: true,
		});
	return { helpers: { request } } as unknown as ICredentialTestFunctions;
}

/** An http URL on a loopback port nothing listens on (fetch refuses some well-known ports). */
export async function closedPortUrl(): Promise<string> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return `http://127.0.0.1:${port}`;
}

export const node: INode = {
	id: 'node-1',
	name: 'Otobot Credential Fetcher',
	type: 'n8n-nodes-otobot.otobotCredentialFetcher',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

/** The slice of n8n's IExecuteFunctions the node uses, backed by real HTTP. */
export function executeContext(options: ContextOptions): IExecuteFunctions {
	const items = options.items ?? [{ json: {} }];
	const context = {
		getInputData: () => items,
		getNode: () => node,
		getWorkflow: () => ({ id: 'wf-unit', name: 'unit test', active: false }),
		getExecutionId: () => options.executionId ?? 'exec-unit',
		continueOnFail: () => options.continueOnFail ?? false,
		getCredentials: async () => options.credential,
		getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) => {
			if (!(name in options.parameters)) return fallback;
			const value = options.parameters[name];
			return typeof value === 'function' ? (value as (i: number) => unknown)(itemIndex) : value;
		},
		helpers: {
			httpRequestWithAuthentication: async (_type: string, request: IHttpRequestOptions) => {
				options.requests?.push(`${request.method ?? 'GET'} ${request.url}`);
				return await httpRequestWithAuthentication(
					options.credential,
					request,
					options.maxTimeoutMs,
				);
			},
		},
	};
	return context as unknown as IExecuteFunctions;
}

export function jsonOf(output: INodeExecutionData[][]): IDataObject[] {
	return output[0].map((item) => item.json);
}
