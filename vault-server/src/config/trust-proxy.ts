import { isIP } from 'node:net';

/**
 * Which proxies' `X-Forwarded-For` the vault believes, as Fastify's `trustProxy` takes it:
 * `false` (none: the TCP peer is the caller), a number of proxy hops in front of the vault, or
 * the proxies' addresses and CIDR ranges (proxy-addr, which also knows `loopback`, `linklocal`
 * and `uniquelocal`). Never `true`, which believes whatever a caller writes into the header.
 */
export type TrustProxy = false | number | string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

export const TRUST_PROXY_FORM =
	'false, the number of proxies in front of the vault (e.g. 1), or their addresses or CIDR ' +
	'ranges, comma-separated (e.g. 10.0.0.0/8,127.0.0.1)';

/** Whether `entry` is an IP address, a CIDR range or one of proxy-addr's named ranges. */
function isProxyAddress(entry: string): boolean {
	if (NAMED_RANGES.has(entry)) return true;
	const [address = '', prefix, ...rest] = entry.split('/');
	const family = isIP(address);
	if (family === 0 || rest.length > 0) return false;
	if (prefix === undefined) return true;
	return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY's value as a TrustProxy, or the message saying why it is refused: `true` (it would
 * let any caller choose the address that is rate-limited and audited) or a malformed entry.
 */
export function parseTrustProxy(value: string): { value: TrustProxy } | { problem: string } {
	const text = value.trim().toLowerCase();
	if (text === 'false' || text === '0') return { value: false };
	if (text === 'true') {
		return {
			problem:
				'=true would believe any X-Forwarded-For a caller sends (its own address for the rate ' +
				'limits and the audit log): set the number of proxies in front of the vault (e.g. 1) or ' +
				'their addresses (e.g. 10.0.0.0/8,127.0.0.1)',
		};
	}
	if (/^\d+$/.test(text)) return { value: Number(text) };
	const entries = text.split(',').map((entry) => entry.trim());
	if (entries.every(isProxyAddress)) return { value: entries };
	return { problem: `must be ${TRUST_PROXY_FORM}` };
}
