import { isIP } from 'node:net';

/**
 * Which proxies' `X-Forwarded-For` the vault believes, as Fastify's `trustProxy` takes it:
 * `false` (none: the TCP peer is the caller), a number of proxy hops in front of the vault, or
 * the proxies' addresses and CIDR ranges (proxy-addr, which also knows `loopback`, `linklocal`
 * and `uniquelocal`). Never `true`, which believes whatever a caller writes into the header.
 */
export type TrustProxy = false | number | string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** The most proxy hops TRUST_PROXY may name: more would let a caller's own header entries count. */
export const MAX_PROXY_HOPS = 10;
/** The widest ranges TRUST_PROXY takes: an IPv4 /8 (e.g. 10.0.0.0/8) and an IPv6 /16. */
const WIDEST_PREFIX = { 4: 8, 6: 16 } as const;
/** IPv4-mapped addresses (::ffff:a.b.c.d) sit in ::/16, where an IPv6 prefix counts 96 bits more. */
const MAPPED_PREFIX_OFFSET = 96;

export const TRUST_PROXY_FORM =
	`false, the number of proxies in front of the vault (1 to ${MAX_PROXY_HOPS}), or their ` +
	'addresses or CIDR ranges no wider than an IPv4 /8 or an IPv6 /16, comma-separated ' +
	'(e.g. 10.0.0.0/8,127.0.0.1)';

/** Whether an IPv6 address's first 16 bits are zero (the block holding IPv4-mapped addresses). */
function inFirstIpv6Block(address: string): boolean {
	const first = address.split(':')[0] ?? '';
	return first === '' || Number.parseInt(first, 16) === 0;
}

/**
 * Why `entry` is refused, or undefined if it is an IP address, a CIDR range no wider than
 * WIDEST_PREFIX, or one of proxy-addr's named ranges. proxy-addr (what Fastify compiles
 * TRUST_PROXY with) throws on a /0 at start and matches an IPv4 caller against `::ffff:…` ranges,
 * so those count as the IPv4 range they cover. A wider range would include public addresses any
 * caller can connect from, and their X-Forwarded-For would be believed.
 */
function proxyEntryProblem(entry: string): 'malformed' | 'wide' | undefined {
	if (NAMED_RANGES.has(entry)) return undefined;
	const [address = '', prefix, ...rest] = entry.split('/');
	const family = isIP(address);
	if (family === 0 || rest.length > 0) return 'malformed';
	if (prefix === undefined) return undefined;
	if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return 'malformed';
	const bits = Number(prefix);
	if (family === 4) return bits < WIDEST_PREFIX[4] ? 'wide' : undefined;
	if (bits < WIDEST_PREFIX[6]) return 'wide';
	const mapped = inFirstIpv6Block(address) && bits < MAPPED_PREFIX_OFFSET + WIDEST_PREFIX[4];
	return mapped ? 'wide' : undefined;
}

/**
 * TRUST_PROXY's value as a TrustProxy, or the message saying why it is refused: `true` (it would
 * let any caller choose the address that is rate-limited and audited), more than MAX_PROXY_HOPS
 * hops or a range wider than an IPv4 /8 or IPv6 /16 (each as good as `true`), or a malformed entry.
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
	if (/^\d+$/.test(text)) {
		const hops = Number(text);
		if (hops <= MAX_PROXY_HOPS) return { value: hops };
		return {
			problem:
				`=${text} names more proxy hops than the ${MAX_PROXY_HOPS} allowed: the vault would ` +
				'believe addresses a caller writes into X-Forwarded-For; set the number of proxies ' +
				'really in front of the vault (e.g. 1)',
		};
	}
	const entries = text.split(',').map((entry) => entry.trim());
	const problems = entries.map(proxyEntryProblem);
	if (problems.includes('malformed')) return { problem: `must be ${TRUST_PROXY_FORM}` };
	const wide = entries.filter((_entry, index) => problems[index] === 'wide');
	if (wide.length > 0) {
		return {
			problem:
				`=${value.trim()} holds ${wide.join(', ')}, wider than an IPv4 /8 or an IPv6 /16: it ` +
				'includes public addresses, whose X-Forwarded-For (their chosen address for the rate ' +
				'limits and the audit log) would be believed; name the addresses of the proxies or ' +
				'private ranges (e.g. 10.0.0.0/8,127.0.0.1)',
		};
	}
	return { value: entries };
}
