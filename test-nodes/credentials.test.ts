import type { IDataObject, IHttpRequestHelper } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OtobotDatabaseApi } from '../credentials/OtobotDatabaseApi.credentials';
import { OtobotVaultOAuth2Api } from '../credentials/OtobotVaultOAuth2Api.credentials';
import { OtobotCredentialFetcher } from '../nodes/OtobotCredentialFetcher/OtobotCredentialFetcher.node';
import { closedPortUrl, credentialTestContext, httpRequest } from './execute-context';
import { startRealVault, TOKENS, type RealVault } from './real-vault';

let vault: RealVault;

beforeAll(async () => {
	vault = await startRealVault('otobot_nodes_credentials');
	expect(await vault.refreshAndReadStatus('acme', 'hubspot')).toEqual({
		answer: { status: 409, code: 'CONNECTION_NEEDS_REAUTH' },
		status: 'needs_reauth',
	});
});
afterAll(async () => await vault?.stop());

describe('Otobot Vault Token (OAuth2): preAuthentication', () => {
	const credential = new OtobotVaultOAuth2Api();
	const helper = { helpers: { httpRequest } } as unknown as IHttpRequestHelper;
	const data = (overrides: IDataObject = {}) => ({
		vaultUrl: vault.url,
		internalToken: vault.internalToken,
		clientId: 'acme',
		service: 'google',
		otherService: '',
		accessToken: '',
		...overrides,
	});

	it('gets a default name in n8n that still names its type', () => {
		// n8n's editor names a new credential "<type's displayName without the words API, OAuth1
		// and OAuth2> account"; n8n's community-package scanner wants the displayName to end in
		// " API", the one word dropped
		for (const type of [credential, new OtobotDatabaseApi()]) {
			const kept = type.displayName
				.split(' ')
				.filter((w) => !['API', 'OAuth1', 'OAuth2'].includes(w));
			expect(type.displayName).toMatch(/ API$/);
			expect(kept.join(' ')).toBe(type.displayName.slice(0, -' API'.length));
		}
	});

	it('fetches the access token into the expirable field', async () => {
		await expect(credential.preAuthentication.call(helper, data())).resolves.toEqual({
			accessToken: TOKENS.acmeGoogle,
		});
	});

	it('keeps the access token hidden and expirable so n8n re-fetches it after a 401', () => {
		const field = credential.properties.find((p) => p.name === 'accessToken');
		expect(field).toMatchObject({ type: 'hidden', typeOptions: { expirable: true } });
		expect(credential.authenticate.properties.headers).toEqual({
			Authorization: '=Bearer {{$credentials.accessToken}}',
		});
	});

	it('after a 401 gets a new token exactly when the vault still stores the refused one', async () => {
		// n8n calls preAuthentication again with the refused token in the expirable field
		const refetch = async (refused: string) =>
			(await credential.preAuthentication.call(
				helper,
				data({ service: 'slack', accessToken: refused }),
			)) as { accessToken: string };
		const first = await credential.preAuthentication.call(helper, data({ service: 'slack' }));
		expect(first).toEqual({ accessToken: 'xoxb-before-refresh' });
		const calls = vault.tokenRequests();

		const renewed = await refetch('xoxb-before-refresh');
		expect(renewed.accessToken).toMatch(/^ya29\.refreshed-\d+$/);
		expect(vault.tokenRequests()).toBe(calls + 1);

		// another workflow's copy of the old token: the vault answers the newer one it has
		expect(await refetch('xoxb-before-refresh')).toEqual(renewed);
		expect(vault.tokenRequests()).toBe(calls + 1);

		// refused again within the vault's manual-refresh interval: still worth one provider call
		const again = await refetch(renewed.accessToken);
		expect(again.accessToken).not.toBe(renewed.accessToken);
		expect(vault.tokenRequests()).toBe(calls + 2);

		const rows = await vault.audit({ client_id: 'acme', service: 'slack' });
		const compared = rows.filter((row) => row.action === 'credential.refresh');
		expect(compared.map((row) => row.details)).toEqual(
			expect.arrayContaining([
				{ compare: true, matched: true },
				{ compare: true, matched: false },
			]),
		);
	});

	it('says the client must reconnect when the vault answers CONNECTION_NEEDS_REAUTH', async () => {
		await expect(
			credential.preAuthentication.call(helper, data({ service: 'hubspot' })),
		).rejects.toThrow(/^The client must reconnect: hubspot access for client "acme" .*reconnect/);
	});

	it('names an unknown client and blames the Internal Token on 401', async () => {
		await expect(
			credential.preAuthentication.call(helper, data({ clientId: 'nobody' })),
		).rejects.toThrow('The vault has no client "nobody". Vault:');
		await expect(
			credential.preAuthentication.call(helper, data({ internalToken: 'not-the-internal-token' })),
		).rejects.toThrow(
			'The vault rejected the Internal Token of the Otobot Vault Token (OAuth2) credential',
		);
	});
});

describe('Otobot Database Credential: the Test button', () => {
	const fetcher = new OtobotCredentialFetcher();
	const testedBy = fetcher.description.credentials?.[0].testedBy;
	const data = (overrides: IDataObject = {}) => ({
		vaultUrl: vault.url,
		internalToken: vault.internalToken,
		clientId: 'acme',
		service: 'google',
		otherService: '',
		...overrides,
	});
	const press = async (overrides: IDataObject = {}) =>
		await fetcher.methods.credentialTest.otobotDatabaseApiTest.call(credentialTestContext(), {
			id: '',
			name: 'unit',
			type: 'otobotDatabaseApi',
			data: data(overrides),
		});

	it("is the node's test method: n8n would run a credential's own `test` instead", () => {
		expect(testedBy).toBe('otobotDatabaseApiTest');
		expect('test' in new OtobotDatabaseApi()).toBe(false);
		expect(new OtobotDatabaseApi().authenticate.properties.headers).toEqual({
			Authorization: '=Bearer {{$credentials.internalToken}}',
		});
	});

	it('passes on a credential the vault serves, "Other" service included', async () => {
		await expect(press()).resolves.toMatchObject({ status: 'OK' });
		await expect(press({ service: 'other', otherService: 'my-crm' })).resolves.toEqual({
			status: 'OK',
			message: 'Connection successful: the vault serves the my-crm credential of client "acme"',
		});
	});

	it.each([
		['a bad token', { internalToken: 'not-the-token' }, 'The vault rejected the Internal Token'],
		['an unknown client', { clientId: 'nobody' }, 'The vault has no client "nobody"'],
		['no connection', { service: 'zoom' }, 'Client "acme" has not connected zoom in the vault'],
		['a needed re-authorisation', { service: 'hubspot' }, 'The client must reconnect'],
		['no Client ID', { clientId: ' ' }, 'No Client ID. Set the Client ID of the Otobot Database'],
		['a Vault URL that is not http(s)', { vaultUrl: 'api-internal:3001' }, 'not an http(s) URL'],
	])('fails with a message of its own for %s', async (_, overrides, message) => {
		const result = await press(overrides);
		expect(result.status).toBe('Error');
		expect(result.message).toContain(message);
	});

	it('says it could not reach the vault, as the node does, instead of a bare error code', async () => {
		const vaultUrl = await closedPortUrl();
		await expect(press({ vaultUrl })).resolves.toEqual({
			status: 'Error',
			message:
				`Could not reach the Otobot Vault at ${vaultUrl} (nothing listens at that address). ` +
				'Check the Vault URL of the credential: it is where n8n reaches the vault.',
		});
		const unknownHost = await press({ vaultUrl: 'http://api-internal.invalid:3001' });
		expect(unknownHost.message).toMatch(
			/^Could not reach the Otobot Vault at http:\/\/api-internal\.invalid:3001 \(no such host\)/,
		);
	});

	it('never shows the Internal Token in its message', async () => {
		const token = 'internal-secret-that-must-not-show';
		const result = await press({ internalToken: token, service: 'hubspot' });
		expect(result.message).not.toContain(token);
	});
});
