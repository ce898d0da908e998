import { describe, expect, it } from 'vitest';
import { parseProviderUrl } from '../src/oauth/provider-url.js';
import { requestToken, TokenEndpointError } from '../src/oauth/token-endpoint.js';
import { checkConnectable } from '../src/domain/connect-links.js';
import type { ServiceRow } from '../src/storage/services-store.js';

describe('the one provider URL check', () => {
	it('takes https, takes http only when insecure URLs are allowed, and never throws', () => {
		expect(parseProviderUrl('https://idp.example/token', false)).toEqual({
			url: new URL('https://idp.example/token'),
		});
		expect(parseProviderUrl('http://127.0.0.1:8080/token', false)).toEqual({
			problem: 'not_https',
		});
		expect(parseProviderUrl('http://127.0.0.1:8080/token', true)).toHaveProperty('url');
		for (const scheme of ['ftp://idp.example/', 'file:///etc/passwd', 'javascript:alert(1)'])
			expect(parseProviderUrl(scheme, true), scheme).toEqual({ problem: 'not_https' });
		for (const garbage of ['', 'not a url', '//idp.example/token'])
			expect(parseProviderUrl(garbage, true), garbage).toEqual({ problem: 'invalid' });
	});

	it('refuses a user name or password in the URL (userinfo): the vault keeps no credential in a URL', () => {
		for (const url of [
			'https://app:s3cret@idp.example/token',
			'https://app@idp.example/token',
			'https://:s3cret@idp.example/token',
		])
			expect(parseProviderUrl(url, true), url).toEqual({ problem: 'userinfo' });
	});

	it('refuses the token call before any request for a URL it would not take', async () => {
		const endpoint = {
			clientId: 'app',
			clientSecret: null,
			authMethod: 'none' as const,
			format: 'form' as const,
			extraParams: {},
			timeoutMs: 1000,
			allowInsecure: false,
		};
		const grant = { grant_type: 'client_credentials' };
		for (const [url, reason] of [
			['http://127.0.0.1:9/token', 'the token URL must be https'],
			['', 'the service has no valid token URL'],
		] as const) {
			const failure = await requestToken({ ...endpoint, url }, grant).catch((error) => error);
			expect(failure).toBeInstanceOf(TokenEndpointError);
			expect(failure).toMatchObject({ kind: 'transient', reason });
		}
	});

	it('refuses to connect a service whose stored provider URL it would not call', () => {
		const service = {
			name: 'crm',
			oauth_type: 'oauth2',
			oauth_client_id: 'app',
			oauth_authorization_url: 'https://idp.example/authorize',
			oauth_token_url: 'http://idp.example/token',
		} as ServiceRow;
		expect(() => checkConnectable(service, false)).toThrow(/oauth_token_url is not an https URL/);
		expect(() => checkConnectable(service, true)).not.toThrow();
		expect(() => checkConnectable({ ...service, oauth_token_url: 'nope' }, true)).toThrow(
			expect.objectContaining({ code: 'SERVICE_NOT_CONNECTABLE' }),
		);
	});
});
