import { createHash, randomBytes } from 'node:crypto';

/**
 * Proof Key for Code Exchange (RFC 7636). The verifier is 32 random bytes in base64url: 43
 * characters of the unreserved set, the minimum length §4.1 allows and 256 bits of entropy, as
 * §7.1 recommends. The challenge is S256 (§4.2): base64url(SHA-256(ASCII(verifier))).
 */
export interface PkcePair {
	verifier: string;
	challenge: string;
	method: 'S256';
}

export function s256Challenge(verifier: string): string {
	return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export function createPkcePair(): PkcePair {
	const verifier = randomBytes(32).toString('base64url');
	return { verifier, challenge: s256Challenge(verifier), method: 'S256' };
}
