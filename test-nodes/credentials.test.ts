import type { IDataObject, IHttpRequestHelper } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OtobotDatabaseApi } from '../credentials/OtobotDatabaseApi.credentials';
import { OtobotVaultOAuth2Api } from '../credentials/OtobotVaultOAuth2Api.credentials';
import { httpRequest } from './execute-context';
import { startRealVault, TOKENS, type RealVault } from './real-vault';

let vault: RealVault;

beforeAll(async () => {
	vault = await startRealVault('otobot_nodes_credentials');
	expect(await vault.refreshAndReadStatus('acme', 'hubspot')).toBe('needs_reauth');
});
afterAll(async () => await vault?.stop());

describe('Otobot Vault OAuth2 Token: preAuthentication', () => {
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

	it('says the client must reconnect when the vault answers CONNECTION_NEEDS_REAUTH', async () => {
		await expect(
			credential.preAuthentication.call(helper, data({ service: 'hubspot' })),
		).rejects.toThrow(/^Client "acme" must reconnect hubspot in the vault\. .*reconnect hubspot/);
	});

	it('names an unknown client and blames the Internal Token on 401', async () => {
		await expect(
			credential.preAuthentication.call(helper, data({ clientId: 'nobody' })),
		).rejects.toThrow('The vault has no client "nobody".');
		await expect(
			credential.preAuthentication.call(helper, data({ internalToken: 'not-the-internal-token' })),
		).rejects.toThrow('The vault rejected the Internal Token.');
	});
});

describe('Otobot Database Credential: the Test button', () => {
	const { test, authenticate } = new OtobotDatabaseApi();
	const rules = test.rules as Array<{
		properties: { key: string; value: unknown; message: string };
	}>;

	/** n8n's check of `responseSuccessBody` rules: the first whose key holds its value fails. */
	const verdict = (body: IDataObject) =>
		rules.find((rule) => body[rule.properties.key] === rule.properties.value)?.properties.message;

	async function answer(path: string, token = vault.internalToken) {
		const response = await fetch(`${vault.url}${path}`, {
			headers: { Authorization: `Bearer ${token}` },
		});
		return (await response.json()) as IDataObject;
	}

	it('reads error answers as bodies so every vault code gets its own message', () => {
		expect(test.request).toMatchObject({ method: 'GET', ignoreHttpStatusErrors: true });
		expect(test.request.url).toContain('/v1/credentials/');
		expect(authenticate.properties.headers).toEqual({
			Authorization: '=Bearer {{$credentials.internalToken}}',
		});
	});

	it('passes on a credential the vault serves', async () => {
		expect(verdict(await answer('/v1/credentials/acme/google'))).toBeUndefined();
	});

	it.each([
		['a bad token', '/v1/credentials/acme/google', 'not-the-token', 'rejected the Internal Token'],
		[
			'an unknown client',
			'/v1/credentials/nobody/google',
			undefined,
			'no client with this Client ID',
		],
		['no connection', '/v1/credentials/acme/zoom', undefined, 'has not connected this service'],
		['a needed re-authorisation', '/v1/credentials/acme/hubspot', undefined, 'must reconnect'],
		['an unexpected error answer', '/v2/nothing', undefined, 'answered HTTP 404'],
	])('fails with a message of its own for %s', async (_, path, token, message) => {
		expect(verdict(await answer(path, token))).toContain(message);
	});
});
