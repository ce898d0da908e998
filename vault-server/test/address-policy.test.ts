import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../src/oauth/address-policy.js';
import { providerRequest } from '../src/oauth/provider-http.js';
import { testConfig } from './helpers/vault-app.js';

/** Addresses a token or test URL may not reach under PROVIDER_PRIVATE_ADDRESSES=refuse. */
const PRIVATE = [
	['0.0.0.0', 'unspecified'],
	['0.1.2.3', 'this network'],
	['127.0.0.1', 'loopback'],
	['127.255.255.254', 'loopback'],
	['10.0.0.1', 'RFC 1918'],
	['10.255.255.255', 'RFC 1918'],
	['172.16.0.1', 'RFC 1918'],
	['172.31.255.255', 'RFC 1918'],
	['192.168.1.1', 'RFC 1918'],
	['100.64.0.1', 'CGNAT'],
	['100.127.255.255', 'CGNAT'],
	['100.100.100.200', 'Alibaba metadata (CGNAT)'],
	['169.254.169.254', 'cloud metadata (link-local)'],
	['169.254.0.1', 'link-local'],
	['192.0.0.192', 'Oracle metadata (IETF protocol assignments)'],
	['198.18.0.1', 'benchmarking'],
	['224.0.0.1', 'multicast'],
	['255.255.255.255', 'broadcast'],
	['::', 'IPv6 unspecified'],
	['::1', 'IPv6 loopback'],
	['[::1]', 'IPv6 loopback, as a URL host'],
	['fc00::1', 'unique-local'],
	['fd00:ec2::254', 'AWS metadata (unique-local)'],
	['fdff:ffff::1', 'unique-local'],
	['fe80::1', 'IPv6 link-local'],
	['fe80::1%eth0', 'IPv6 link-local with a zone'],
	['febf::1', 'IPv6 link-local'],
	['fec0::1', 'site-local'],
	['ff02::1', 'IPv6 multicast'],
	['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
	['::ffff:7f00:1', 'IPv4-mapped loopback, hex (as WHATWG URL writes it)'],
	['[::ffff:a9fe:a9fe]', 'IPv4-mapped metadata'],
	['::ffff:10.0.0.1', 'IPv4-mapped RFC 1918'],
	['::ffff:0.0.0.0', 'IPv4-mapped unspecified'],
	['::127.0.0.1', 'IPv4-compatible (deprecated)'],
	['64:ff9b::a9fe:a9fe', 'NAT64 of the metadata address'],
	['64:ff9b::10.0.0.1', 'NAT64 of RFC 1918'],
	['2002:7f00:1::', '6to4 of loopback'],
	['2002:c0a8:101::1', '6to4 of 192.168.1.1'],
] as const;

const PUBLIC = [
	'8.8.8.8',
	'1.1.1.1',
	'93.184.216.34',
	'100.63.255.255',
	'100.128.0.0',
	'172.15.255.255',
	'172.32.0.0',
	'192.167.255.255',
	'169.253.255.255',
	'11.0.0.1',
	'2606:4700:4700::1111',
	'2001:4860:4860::8888',
	'[2a00:1450:4001:80b::200e]',
	'::ffff:8.8.8.8',
	'64:ff9b::808:808',
	'2002:808:808::1',
	'fbff::1',
	'fe00::1',
] as const;

describe('the private address policy', () => {
	it.each(PRIVATE)('%s is private (%s)', (address) => {
		expect(isPrivateAddress(address)).toBe(true);
	});

	it.each(PUBLIC)('%s is public', (address) => {
		expect(isPrivateAddress(address)).toBe(false);
	});

	it('judges no host name by its text: names are judged by what they resolve to', () => {
		for (const name of ['localhost', 'metadata.google.internal', 'idp.example', ''])
			expect(isPrivateAddress(name), name).toBe(false);
	});

	it('refuses by default in production, allows elsewhere, and takes either when set', () => {
		expect(testConfig().providerPrivateAddresses).toBe('allow');
		const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/vault' };
		expect(testConfig(production).providerPrivateAddresses).toBe('refuse');
		expect(
			testConfig({ ...production, PROVIDER_PRIVATE_ADDRESSES: 'allow' }).providerPrivateAddresses,
		).toBe('allow');
		expect(testConfig({ PROVIDER_PRIVATE_ADDRESSES: 'refuse' }).providerPrivateAddresses).toBe(
			'refuse',
		);
		expect(() => testConfig({ PROVIDER_PRIVATE_ADDRESSES: 'sometimes' })).toThrow(
			/PROVIDER_PRIVATE_ADDRESSES/,
		);
	});
});

describe('a provider request under the policy', () => {
	const call = (url: string, privateAddresses: 'refuse' | 'allow') =>
		providerRequest(new URL(url), {
			method: 'GET',
			headers: {},
			timeoutMs: 5000,
			maxBytes: 0,
			privateAddresses,
			role: 'the test_url',
		}).catch((error: unknown) => error);

	it('refuses names resolving to loopback over https and http before any connection', async () => {
		for (const url of ['https://localhost:1/', 'http://localhost:1/', 'https://[::1]:1/'])
			expect(await call(url, 'refuse'), url).toMatchObject({
				problem: 'private_address',
				message: expect.stringMatching(
					/^the test_url resolves to a private address \((127\.0\.0\.1|::1)\); set PROVIDER_PRIVATE_ADDRESSES=allow to permit$/,
				),
			});
	});

	it('with allow, connects (port 1 refuses the connection: a network error, no refusal)', async () => {
		expect(await call('http://localhost:1/', 'allow')).toMatchObject({ problem: 'network' });
	});
});
