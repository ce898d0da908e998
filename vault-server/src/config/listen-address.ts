import { isIP } from 'node:net';

export const HOST_FORM =
	'an IP address of this machine (127.0.0.1, 0.0.0.0 or :: for every interface) or a host name';

// RFC 1123 §2.1: labels of letters, digits and hyphens, 1-63 characters, 253 in all
const HOST_NAME =
	/^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * Whether HOST has the form of something a server can listen on: an IP literal or a host name.
 * Digits and dots only (`999.1.1.1`) must be an IPv4 address: no resolver treats it as a name.
 */
export function isListenHost(host: string): boolean {
	if (isIP(host) !== 0) return true;
	if (/^[\d.]+$/.test(host)) return false;
	return HOST_NAME.test(host);
}
