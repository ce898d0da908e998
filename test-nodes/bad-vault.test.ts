import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NodeApiError } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OtobotCredentialFetcher } from '../nodes/OtobotCredentialFetcher/OtobotCredentialFetcher.node';
import { VAULT_TIMEOUT_MS } from '../nodes/OtobotCredentialFetcher/transport';
import { executeContext, jsonOf } from './execute-context';

/**
 * A vault gone bad, which the real one cannot be made to be: each path prefix answers one way.
 * The node must fail each item with a clear error, and go on with the others under Continue On
 * Fail.
 */
const ANSWERS: Record<string, (res: ServerResponse) => void> = {
	html500: (res) =>
		res
			.writeHead(500, { 'content-type': 'text/html' })
			.end('<html><body>Internal Server Error</body></html>'),
	json500: (res) =>
		res
			.writeHead(500, { 'content-type': 'application/json' })
			.end('{"statusCode":500,"code":"INTERNAL_ERROR","message":"Internal server error"}'),
	gateway502: (res) =>
		res
			.writeHead(502, { 'content-type': 'text/html' })
			.end(`<html>${'Bad Gateway '.repeat(500)}</html>`),
	garbage200: (res) =>
		res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json'),
	array200: (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[1,2,3]'),
	empty200: (res) => res.writeHead(200).end(),
	hang: () => {},
	reset: (res) => res.socket?.destroy(),
};

let server: Server;
let baseUrl: string;

function run(
	mode: string,
	options: { items?: number; continueOnFail?: boolean; operation?: string } = {},
) {
	const context = executeContext({
		credential: {
			vaultUrl: `${baseUrl}/${mode}`,
			internalToken: 'token',
			clientId: 'acme',
			service: 'google',
			otherService: '',
		},
		parameters: {
			resource: 'credential',
			operation: options.operation ?? 'getCredentials',
			clientId: '',
			service: '',
		},
		items: Array.from({ length: options.items ?? 1 }, (_, i) => ({ json: { i } })),
		continueOnFail: options.continueOnFail,
		// only the hanging vault needs a short timeout; a loaded machine may take longer to answer
		maxTimeoutMs: mode === 'hang' ? 300 : undefined,
	});
	return new OtobotCredentialFetcher().execute.call(context);
}

const failure = (promise: Promise<unknown>) =>
	promise.then(
		() => expect.unreachable('expected the node to throw'),
		(error: unknown) => error as NodeApiError,
	);

beforeAll(async () => {
	server = createServer((req, res) => ANSWERS[req.url!.split('/')[1]!]!(res));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
	server.closeAllConnections();
	await new Promise((resolve) => server.close(resolve));
});

describe('a vault that answers badly', () => {
	const cases: [string, RegExp, string | undefined][] = [
		['html500', /answered HTTP 500 for client "acme"/, undefined],
		['json500', /answered HTTP 500/, 'INTERNAL_ERROR'],
		['gateway502', /answered HTTP 502/, undefined],
		['garbage200', /not a vault answer/, 'VAULT_BAD_ANSWER'],
		['array200', /not a vault answer/, 'VAULT_BAD_ANSWER'],
		['empty200', /not a vault answer/, 'VAULT_BAD_ANSWER'],
		['hang', /did not answer in time/, 'VAULT_TIMEOUT'],
		['reset', /Could not reach the Otobot Vault/, 'VAULT_UNREACHABLE'],
	];

	it.each(cases)('%s: a NodeApiError that says what happened', async (mode, message, code) => {
		for (const operation of ['getCredentials', 'getAccessToken', 'listConnections', 'refreshNow']) {
			const error = await failure(run(mode, { operation }));
			expect(error.name, `${mode} ${operation}`).toBe('NodeApiError');
			expect(error.message, `${mode} ${operation}`).toMatch(message);
			expect(error.context.itemIndex).toBe(0);
			if (code) expect(error.context.vaultCode).toBe(code);
			expect(`${error.message} ${error.description}`.length).toBeLessThan(1000);
		}
	});

	it.each(cases)(
		'%s: with Continue On Fail, one error item per input item, paired',
		async (mode, message, code) => {
			const output = await run(mode, { items: 3, continueOnFail: true });
			expect(output[0].map((item) => item.pairedItem)).toEqual([
				{ item: 0 },
				{ item: 1 },
				{ item: 2 },
			]);
			for (const json of jsonOf(output)) {
				expect(json.error).toMatch(message);
				if (code) expect(json.code).toBe(code);
				expect(json).not.toHaveProperty('access_token');
			}
		},
	);

	it('gives a hanging vault a bounded time: every request carries the node timeout', async () => {
		expect(VAULT_TIMEOUT_MS).toBeLessThanOrEqual(60_000);
		for (const operation of ['getCredentials', 'getAccessToken', 'listConnections', 'refreshNow']) {
			// the test's httpRequest cuts the wait to 300 ms but reports the timeout the node asked for
			const error = await failure(run('hang', { operation }));
			expect(error.description, operation).toContain(`timeout of ${VAULT_TIMEOUT_MS}ms exceeded`);
		}
	});
});
