import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/databases.js';
import {
	asAdmin,
	bearer,
	startTestVault,
	testConfig,
	type TestVault,
} from './helpers/vault-app.js';

const PROXY = '127.0.0.1';
/** What the real proxy appended: the address the attacker really connects from. */
const ATTACKER = '198.51.100.7';

describe('TRUST_PROXY at start', () => {
	it('refuses true with one line saying what to set', () => {
		expect(() => testConfig({ TRUST_PROXY: 'true' })).toThrow(
			/^TRUST_PROXY=true would believe any X-Forwarded-For a caller sends .*: set the number of proxies in front of the vault \(e\.g\. 1\) or their addresses \(e\.g\. 10\.0\.0\.0\/8,127\.0\.0\.1\) \(set in the environment\)$/,
		);
	});

	it('refuses an entry that is neither an address nor a CIDR range', () => {
		for (const value of ['yes', '10.0.0.0/33', '10.0.0.1,proxy.internal', '-1', '::1/129']) {
			expect(() => testConfig({ TRUST_PROXY: value }), value).toThrow(
				/^TRUST_PROXY must be false, the number of proxies in front of the vault/,
			);
		}
	});

	it('refuses ranges that include public addresses, with one line naming them', () => {
		const cases: [value: string, wide: string][] = [
			['0.0.0.0/1,128.0.0.0/1', '0.0.0.0/1, 128.0.0.0/1'],
			['0.0.0.0/0', '0.0.0.0/0'],
			['10.0.0.0/8,64.0.0.0/7', '64.0.0.0/7'],
			['::/0', '::/0'],
			['2000::/3', '2000::/3'],
			['::ffff:0.0.0.0/97', '::ffff:0.0.0.0/97'],
			['::/96', '::/96'],
		];
		for (const [value, wide] of cases) {
			let message = '';
			try {
				testConfig({ TRUST_PROXY: value });
			} catch (error) {
				message = (error as Error).message;
			}
			expect(message, value).toBe(
				`TRUST_PROXY=${value} holds ${wide}, wider than an IPv4 /8 or an IPv6 /16: it includes ` +
					'public addresses, whose X-Forwarded-For (their chosen address for the rate limits ' +
					'and the audit log) would be believed; name the addresses of the proxies or private ' +
					'ranges (e.g. 10.0.0.0/8,127.0.0.1) (set in the environment)',
			);
		}
	});

	it('refuses more than 10 proxy hops', () => {
		for (const value of ['11', '1000']) {
			expect(() => testConfig({ TRUST_PROXY: value }), value).toThrow(
				new RegExp(
					`^TRUST_PROXY=${value} names more proxy hops than the 10 allowed: .* \\(set in the environment\\)$`,
				),
			);
		}
	});

	it('takes false, a hop count, or addresses and ranges', () => {
		expect(testConfig({ TRUST_PROXY: '10' }).trustProxy).toBe(10);
		expect(testConfig({ TRUST_PROXY: 'fd00::/16,::ffff:10.0.0.0/104' }).trustProxy).toEqual([
			'fd00::/16',
			'::ffff:10.0.0.0/104',
		]);
		expect(testConfig({}).trustProxy).toBe(false);
		expect(testConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
		expect(testConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
		expect(testConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,loopback' }).trustProxy).toEqual([
			'10.0.0.0/8',
			'127.0.0.1',
			'::1',
			'loopback',
		]);
	});
});

describe.each(backends())('a caller-written X-Forwarded-For on %s', (backend) => {
	for (const trust of ['1', PROXY]) {
		describe(`TRUST_PROXY=${trust}`, () => {
			let vault: TestVault;
			beforeAll(async () => {
				vault = await startTestVault(backend, { TRUST_PROXY: trust, AUTH_FAILURE_LIMIT: '20' });
			});
			afterAll(async () => vault?.close());

			it('60 wrong tokens with X-Forwarded-For: 203.0.113.<i>, 127.0.0.1 through the proxy are blocked', async () => {
				const statuses: number[] = [];
				for (let i = 0; i < 60; i += 1) {
					const response = await vault.app.inject({
						url: '/v1/clients',
						remoteAddress: PROXY,
						headers: {
							...bearer(`ovt_guess${i}`),
							'x-forwarded-for': `203.0.113.${i}, 127.0.0.1, ${ATTACKER}`,
						},
					});
					statuses.push(response.statusCode);
				}
				expect(statuses).toEqual([...Array(20).fill(401), ...Array(40).fill(429)]);
			});

			const auditedIp = async (
				marker: string,
				remoteAddress: string,
				forwardedFor: string,
			): Promise<string | undefined> => {
				const response = await vault.app.inject({
					url: '/v1/clients',
					remoteAddress,
					headers: { ...asAdmin, 'x-forwarded-for': forwardedFor, 'x-n8n-execution-id': marker },
				});
				expect(response.statusCode).toBe(200);
				const rows = await vault.database.db.query<{ ip: string }>(
					'SELECT ip FROM audit_log WHERE execution_id = $1',
					[marker],
				);
				return rows[0]?.ip;
			};

			it('audits an admin call with X-Forwarded-For: 10.99.99.99 with the address the proxy saw', async () => {
				expect(await auditedIp(`via-${trust}`, PROXY, '10.99.99.99, 192.0.2.50')).toBe(
					'192.0.2.50',
				);
			});

			if (trust === PROXY) {
				it('ignores X-Forwarded-For from a caller that is not a listed proxy', async () => {
					expect(await auditedIp('around', '192.0.2.50', '10.99.99.99')).toBe('192.0.2.50');
				});
			}
		});
	}
});
