import type { Env } from './env-schema.js';

/** The environment variables whose comma-separated values are accepted as API bearer tokens. */
export const TOKEN_VARIABLES = ['ADMIN_API_TOKEN', 'INTERNAL_API_TOKEN'] as const;

const MIN_LENGTH = 32;
const MIN_DISTINCT = 10;

/** The rule, as config messages state it: `openssl rand -hex 32` and `-base64 32` meet it. */
export const STRONG_TOKEN_RULE =
	`values must each be at least ${MIN_LENGTH} characters with at least ${MIN_DISTINCT} different ` +
	'ones, e.g. the output of `openssl rand -hex 32`';

/**
 * Whether a token is too weak to put on a network: fewer than 32 characters, or fewer than 10
 * distinct ones (`aaaa…`, `abab…`). A guard against typed and placeholder values, not an entropy
 * measure; it matters because the failed-authentication guard slows online guessing but does not
 * stop it (docs/RELIABILITY.md).
 */
export function isWeakToken(token: string): boolean {
	return token.length < MIN_LENGTH || new Set(token).size < MIN_DISTINCT;
}

/** The token variables with at least one weak value (see isWeakToken), in TOKEN_VARIABLES order. */
export function weakTokenVariables(env: Pick<Env, (typeof TOKEN_VARIABLES)[number]>): string[] {
	return TOKEN_VARIABLES.filter((variable) =>
		(env[variable] ?? '')
			.split(',')
			.map((token) => token.trim())
			.some((token) => token.length > 0 && isWeakToken(token)),
	);
}
