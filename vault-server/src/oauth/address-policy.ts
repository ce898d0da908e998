/**
 * Which addresses the vault refuses to send a secret to when PROVIDER_PRIVATE_ADDRESSES=refuse:
 * every range that is not a public internet host. IPv4: RFC 1122 §3.2.1.3 "this network"
 * (0.0.0.0/8, incl. the unspecified address), RFC 1918 private ranges, RFC 6598 CGNAT
 * (100.64.0.0/10, incl. Alibaba's metadata 100.100.100.200), loopback, RFC 3927 link-local
 * (169.254.0.0/16, incl. the cloud metadata address 169.254.169.254), RFC 6890 special ranges,
 * multicast and reserved. IPv6: unspecified, loopback, RFC 4193 unique-local (fc00::/7, incl.
 * AWS's metadata fd00:ec2::254), link-local, site-local and multicast. An IPv6 address that
 * carries an IPv4 one (RFC 4291 §2.5.5 IPv4-mapped `::ffff:a.b.c.d`, RFC 6052 NAT64
 * `64:ff9b::a.b.c.d`, RFC 3056 6to4 `2002:AABB:CCDD::`) is judged by the IPv4 address it carries.
 */
import { BlockList, isIP } from 'node:net';

/** PROVIDER_PRIVATE_ADDRESSES: `refuse` private addresses, or `allow` every address. */
export type PrivateAddressPolicy = 'refuse' | 'allow';

const IPV4_RANGES: readonly [string, number][] = [
	['0.0.0.0', 8],
	['10.0.0.0', 8],
	['100.64.0.0', 10],
	['127.0.0.0', 8],
	['169.254.0.0', 16],
	['172.16.0.0', 12],
	['192.0.0.0', 24],
	['192.0.2.0', 24],
	['192.88.99.0', 24],
	['192.168.0.0', 16],
	['198.18.0.0', 15],
	['198.51.100.0', 24],
	['203.0.113.0', 24],
	['224.0.0.0', 4],
	['240.0.0.0', 4],
];

const IPV6_RANGES: readonly [string, number][] = [
	['::', 96],
	['64:ff9b:1::', 48],
	['100::', 64],
	['fc00::', 7],
	['fe80::', 10],
	['fec0::', 10],
	['ff00::', 8],
];

const PRIVATE = new BlockList();
for (const [network, prefix] of IPV4_RANGES) PRIVATE.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of IPV6_RANGES) PRIVATE.addSubnet(network, prefix, 'ipv6');

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted tail converted). */
function groupsOf(address: string): number[] {
	let text = address.toLowerCase().split('%')[0]!;
	const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
	if (dotted) {
		const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
		text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
	}
	const [head, tail] = text.split('::') as [string, string | undefined];
	const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
	const left = part(head);
	const right = part(tail);
	return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const ipv4Of = (high: number, low: number) =>
	`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/** The IPv4 address an IPv6 address carries (mapped, NAT64 or 6to4), if it carries one. */
function embeddedIpv4(address: string): string | undefined {
	const g = groupsOf(address);
	const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
	if (zeros(0, 5) && g[5] === 0xffff) return ipv4Of(g[6]!, g[7]!);
	if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return ipv4Of(g[6]!, g[7]!);
	if (g[0] === 0x2002) return ipv4Of(g[1]!, g[2]!);
	return undefined;
}

/**
 * Whether an IP address (v4 or v6, IPv6 with or without brackets) is not a public internet host.
 * A string that is no IP address is not private (hostnames are judged by what they resolve to).
 */
export function isPrivateAddress(address: string): boolean {
	const bare = address.replace(/^\[(.*)\]$/, '$1');
	const family = isIP(bare.split('%')[0]!);
	if (family === 4) return PRIVATE.check(bare, 'ipv4');
	if (family !== 6) return false;
	const carried = embeddedIpv4(bare);
	if (carried !== undefined) return PRIVATE.check(carried, 'ipv4');
	return PRIVATE.check(bare.split('%')[0]!, 'ipv6');
}

/** The refusal's reason, safe to store and show: the URL's role and the address, no secret. */
export const privateAddressReason = (what: string, address: string) =>
	`${what} resolves to a private address (${address}); ` +
	'set PROVIDER_PRIVATE_ADDRESSES=allow to permit';
