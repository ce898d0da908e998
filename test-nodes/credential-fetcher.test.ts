import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OtobotCredentialFetcher } from '../nodes/OtobotCredentialFetcher/OtobotCredentialFetcher.node';
import { authorizationHeader } from '../nodes/OtobotCredentialFetcher/actions/credential/getCredentials.operation';
import { closedPortUrl, executeContext, jsonOf } from './execute-context';
import { startRealVault, TOKENS, type RealVault } from './real-vault';

let vault: RealVault;
const fetcher = new OtobotCredentialFetcher();

async function run(
	operation: string,
	parameters: Record<string, unknown> = {},
	options: {
		items?: number;
		continueOnFail?: boolean;
		credential?: Record<string, string>;
		executionId?: string;
	} = {},
) {
	const context = executeContext({
		credential: {
			vaultUrl: `${vault.url}/`,
			internalToken: vault.internalToken,
			clientId: 'acme',
			service: 'google',
			otherService: '',
			...options.credential,
		},
		parameters: { resource: 'credential', operation, clientId: '', service: '', ...parameters },
		items: Array.from({ length: options.items ?? 1 }, (_, i) => ({ json: { i } })),
		continueOnFail: options.continueOnFail,
		executionId: options.executionId,
	});
	return await fetcher.execute.call(context);
}

async function failure(promise: Promise<unknown>) {
	return await promise.then(
		() => expect.unreachable('expected the node to throw'),
		(error: unknown) => error as NodeApiError,
	);
}

beforeAll(async () => {
	vault = await startRealVault('otobot_nodes_fetcher');
	// the provider has revoked hubspot's grant: the vault's refresh marks it needs_reauth
	expect(await vault.refreshAndReadStatus('acme', 'hubspot')).toEqual({
		answer: { status: 409, code: 'CONNECTION_NEEDS_REAUTH' },
		status: 'needs_reauth',
	});
});
afterAll(async () => await vault?.stop());

describe('Get Credentials', () => {
	it('returns the stored credential of the client and service named by the credential', async () => {
		const [item] = jsonOf(await run('getCredentials'));
		expect(item).toMatchObject({
			client_id: 'acme',
			service: 'google',
			type: 'oauth2',
			access_token: TOKENS.acmeGoogle,
		});
	});

	it('shows the workflow and execution in the vault audit log', async () => {
		await run('getCredentials', {}, { executionId: 'exec-audit' });
		const entries = (await vault.audit({ client_id: 'acme' })).filter(
			(entry) => entry.execution_id === 'exec-audit',
		);
		expect(entries).toEqual([
			expect.objectContaining({
				action: 'credential.fetch',
				service: 'google',
				status_code: 200,
				workflow_id: 'wf-unit',
			}),
		]);
	});

	it('lets each item name its own client and service by expression', async () => {
		const clients = ['acme', 'globex', 'acme'];
		const services = ['my-crm', 'google', 'google'];
		const output = await run(
			'getCredentials',
			{ clientId: (i: number) => clients[i], service: (i: number) => services[i] },
			{ items: 3 },
		);
		expect(jsonOf(output).map((json) => json.api_key ?? json.access_token)).toEqual([
			'crm-key',
			TOKENS.globexGoogle,
			TOKENS.acmeGoogle,
		]);
		expect(output[0].map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
	});

	it('uses the free-text service when the credential says Other', async () => {
		const [item] = jsonOf(
			await run('getCredentials', {}, { credential: { service: 'other', otherService: 'my-crm' } }),
		);
		expect(item).toMatchObject({ type: 'api_key', api_key: 'crm-key' });
	});

	it('asks the vault once for items that name the same client and service', async () => {
		const output = await run('getCredentials', {}, { items: 5, executionId: 'exec-cache' });
		expect(output[0]).toHaveLength(5);
		const fetches = (await vault.audit({ client_id: 'acme' })).filter(
			(entry) => entry.execution_id === 'exec-cache',
		);
		expect(fetches).toHaveLength(1);
	});
});

describe('Get Credentials with Output "Authorization Header Only"', () => {
	it('outputs the header value and what names it, and no separate secret field', async () => {
		const services = ['google', 'my-crm'];
		const output = jsonOf(
			await run(
				'getCredentials',
				{ output: 'authorizationHeader', service: (i: number) => services[i] },
				{ items: 2 },
			),
		);
		expect(output).toEqual([
			{
				client_id: 'acme',
				service: 'google',
				type: 'oauth2',
				expires_at: expect.stringMatching(/^\d{4}-/),
				metadata: {},
				authorization_header: `Bearer ${TOKENS.acmeGoogle}`,
			},
			{
				client_id: 'acme',
				service: 'my-crm',
				type: 'api_key',
				expires_at: null,
				metadata: {},
				authorization_header: 'Bearer crm-key',
			},
		]);
	});

	it('sends a username and password as Basic (RFC 7617), UTF-8 encoded', () => {
		expect(authorizationHeader({ type: 'basic', username: 'zoë', password: 'p:ss' })).toBe(
			`Basic ${Buffer.from('zoë:p:ss', 'utf8').toString('base64')}`,
		);
		expect(authorizationHeader({ type: 'basic' })).toBeUndefined();
	});

	it('warns, on each operation that outputs a secret, that execution data keeps it', () => {
		const notices = fetcher.description.properties.filter((p) => p.type === 'notice');
		expect(notices.flatMap((p) => p.displayOptions?.show?.operation).sort()).toEqual([
			'getAccessToken',
			'getCredentials',
			'refreshNow',
		]);
		expect(notices[0].displayName).toMatch(/execution data.*Otobot Vault Token \(OAuth2\)/);
	});
});

describe('Get Access Token', () => {
	it('returns the token and a ready Authorization header value', async () => {
		const [item] = jsonOf(await run('getAccessToken'));
		expect(item).toEqual({
			client_id: 'acme',
			service: 'google',
			access_token: TOKENS.acmeGoogle,
			token_type: 'Bearer',
			expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			metadata: {},
			authorization_header: `Bearer ${TOKENS.acmeGoogle}`,
		});
	});
});

describe('List Connections', () => {
	it('returns one item per connection of the client, paired with the input item', async () => {
		const output = await run('listConnections');
		const byService = Object.fromEntries(jsonOf(output).map((json) => [json.service, json.status]));
		expect(byService).toEqual({
			google: 'active',
			hubspot: 'needs_reauth',
			'my-crm': 'active',
			slack: 'active',
		});
		expect(output[0].every((item) => (item.pairedItem as { item: number }).item === 0)).toBe(true);
	});
});

describe('Refresh Now', () => {
	it('makes the vault refresh the token and returns the fresh credential', async () => {
		const [item] = jsonOf(await run('refreshNow', { service: 'slack' }));
		expect(item.access_token).toMatch(/^ya29\.refreshed-\d+$/);
	});

	it('Only If This Token Was Refused: refreshes for the stored token, answers the newer one for an older', async () => {
		const [before] = jsonOf(await run('getAccessToken', { service: 'slack' }));
		const calls = vault.tokenRequests();
		// within the vault's manual-refresh interval of the refresh above: a refused token still counts
		const [renewed] = jsonOf(
			await run('refreshNow', { service: 'slack', refusedAccessToken: before.access_token }),
		);
		expect(renewed).toMatchObject({ refreshed: true });
		expect(renewed.access_token).not.toBe(before.access_token);
		expect(vault.tokenRequests()).toBe(calls + 1);

		const [stale] = jsonOf(
			await run('refreshNow', { service: 'slack', refusedAccessToken: before.access_token }),
		);
		expect(stale).toMatchObject({ access_token: renewed.access_token, refreshed: false });
		expect(vault.tokenRequests()).toBe(calls + 1);
		const rows = await vault.audit({ client_id: 'acme', service: 'slack' });
		expect(rows.find((row) => row.action === 'credential.refresh')?.details).toEqual({
			compare: true,
			matched: false,
		});
	});
});

describe('vault errors', () => {
	it('tells the builder the client must reconnect, with the vault hint', async () => {
		const error = await failure(run('getAccessToken', { service: 'hubspot' }));
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe(
			'The client must reconnect: hubspot access for client "acme" has expired or was revoked',
		);
		expect(error.description).toMatch(/reconnect hubspot/);
		expect(error.description).toContain('(CONNECTION_NEEDS_REAUTH)');
		expect(error.httpCode).toBe('409');
		expect(error.context.itemIndex).toBe(0);
	});

	it.each([
		['an unknown client', { clientId: 'nobody' }, 'The vault has no client "nobody"', '404'],
		[
			'a service the client never connected',
			{ service: 'zoom' },
			'Client "acme" has not connected zoom in the vault',
			'404',
		],
	])('names %s', async (_, parameters, message, httpCode) => {
		const error = await failure(run('getCredentials', parameters));
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe(message);
		expect(error.httpCode).toBe(httpCode);
	});

	it('blames the Internal Token when the vault answers 401', async () => {
		const error = await failure(
			run('getCredentials', {}, { credential: { internalToken: 'not-the-internal-token' } }),
		);
		expect(error.message).toBe(
			'The vault rejected the Internal Token of the Otobot Database Credential',
		);
		expect(error.description).toContain('(UNAUTHORIZED)');
	});

	it('says the vault is unreachable when nothing listens at the Vault URL', async () => {
		const vaultUrl = await closedPortUrl();
		const error = await failure(run('getCredentials', {}, { credential: { vaultUrl } }));
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe(
			`Could not reach the Otobot Vault at ${vaultUrl} (nothing listens at that address)`,
		);
		expect(error.description).toMatch(/Cause: .*fetch failed/);
	});
});

describe('bad parameters', () => {
	it('fails the item with a NodeOperationError that carries its index', async () => {
		const clients = ['acme', 'not/a/client'];
		const error = await failure(
			run('getCredentials', { clientId: (i: number) => clients[i] }, { items: 2 }),
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe(
			'"not/a/client" can never be a vault Client ID: it must start with a letter or digit and hold only letters, digits, "_", "." and "-" (at most 64 characters)',
		);
		expect(error.context.itemIndex).toBe(1);
	});

	it('refuses an empty Client ID when the credential has none either', async () => {
		const error = await failure(run('getCredentials', {}, { credential: { clientId: '' } }));
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toContain('No Client ID');
	});

	it('refuses a Vault URL that is not http(s)', async () => {
		const error = await failure(
			run('getCredentials', {}, { credential: { vaultUrl: 'api-internal:3001' } }),
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toContain('is not an http(s) URL');
	});
});

describe('Continue On Fail', () => {
	it('returns the error on the failing item and goes on with the others', async () => {
		const services = ['google', 'hubspot', 'zoom', 'my-crm'];
		const output = await run(
			'getAccessToken',
			{ service: (i: number) => services[i] },
			{ items: 4, continueOnFail: true },
		);
		const json = jsonOf(output);
		expect(json[0].access_token).toBe(TOKENS.acmeGoogle);
		expect(json[1]).toMatchObject({ code: 'CONNECTION_NEEDS_REAUTH' });
		expect(String(json[1].error)).toContain('The client must reconnect');
		expect(json[2]).toMatchObject({ code: 'CONNECTION_NOT_FOUND' });
		expect(json[3].access_token).toBe('crm-key');
		expect(output[0].map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
			{ item: 3 },
		]);
	});
});
