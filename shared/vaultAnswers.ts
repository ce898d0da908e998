import type { IDataObject } from 'n8n-workflow';

import type { VaultTarget } from './vaultIds';

/**
 * What the package says about a vault answer or a vault it could not reach: the one table of
 * vault error codes → messages, used by the Credential Fetcher node's errors, the Otobot
 * Database Credential's Test and the Otobot Vault OAuth2 Token credential.
 */
export interface VaultProblem {
	/** One sentence a workflow builder can act on. */
	message: string;
	/** Further lines: the vault's reconnect hint and link, its own message and code, the cause. */
	details: string[];
	/** The vault's error code, or VAULT_UNREACHABLE / VAULT_TIMEOUT. */
	code?: string;
	/** The HTTP client's own words for an unreachable vault (error codes included). */
	cause?: string;
}

function what(target: VaultTarget): string {
	return target.service
		? `client "${target.clientId}" and service "${target.service}"`
		: `client "${target.clientId}"`;
}

/** The headline for each code of the vault's `errors.ts` a request of the package can get. */
function headline(code: unknown, statusCode: number, target: VaultTarget, credential: string) {
	const service = target.service ?? 'this service';
	switch (code) {
		case 'UNAUTHORIZED':
			return `The vault rejected the Internal Token of the ${credential}`;
		case 'FORBIDDEN':
			return 'The Internal Token may not do this: use the vault token with the read scope';
		case 'CLIENT_NOT_FOUND':
			return `The vault has no client "${target.clientId}"`;
		case 'SERVICE_NOT_FOUND':
			return `The vault does not know the service "${target.service ?? ''}": check its name`;
		case 'CONNECTION_NOT_FOUND':
			return `Client "${target.clientId}" has not connected ${service} in the vault`;
		case 'CONNECTION_NEEDS_REAUTH':
			return `The client must reconnect: ${service} access for client "${target.clientId}" has expired or was revoked`;
		case 'RATE_LIMITED':
			return 'The vault is rate limiting this token: retry in a moment';
		case 'REFRESH_FAILED':
			return `The vault could not refresh the token for ${what(target)}: retry in a moment`;
		case 'VAULT_DECRYPTION_FAILED':
			return `The vault could not decrypt the credential for ${what(target)}: tell the vault operator`;
		case 'VALIDATION_FAILED':
			return `The vault refused the request for ${what(target)}`;
		default:
			return `The vault answered HTTP ${statusCode} for ${what(target)}`;
	}
}

/**
 * Describes a vault error answer (`{statusCode, code, message}`, plus `reconnect_hint` and
 * `reconnect_url` for CONNECTION_NEEDS_REAUTH, see the vault's `errors.ts`) for `target`;
 * `credential` names the credential whose Internal Token was used.
 */
export function describeVaultRefusal(
	statusCode: number,
	body: IDataObject,
	target: VaultTarget,
	credential: string,
): VaultProblem {
	const details: string[] = [];
	if (typeof body.reconnect_hint === 'string') details.push(body.reconnect_hint);
	if (typeof body.reconnect_url === 'string') details.push(`Reconnect link: ${body.reconnect_url}`);
	if (typeof body.message === 'string') {
		const code = typeof body.code === 'string' ? ` (${body.code})` : '';
		details.push(`Vault: ${body.message}${code}`);
	}
	return {
		message: headline(body.code, statusCode, target, credential),
		details,
		code: typeof body.code === 'string' ? body.code : undefined,
	};
}

// n8n replaces a message that contains a Node.js error code (ECONNREFUSED, ENOTFOUND…) by a
// generic sentence, so the cause is told in words.
const CAUSES: Array<[RegExp, string]> = [
	[/ENOTFOUND|EAI_AGAIN|getaddrinfo/i, 'no such host'],
	[/certificate|SSL|TLS/i, 'the TLS certificate was refused'],
	[/ECONNREFUSED|refused/i, 'nothing listens at that address'],
	[/ECONNRESET|socket hang up/i, 'the connection was closed'],
	[/EHOSTUNREACH|ENETUNREACH/i, 'the host is unreachable'],
];

type ErrorLike = { message?: unknown; code?: unknown; cause?: unknown };

/** Messages and codes of an error and its causes: fetch-based clients put the code on `cause`. */
function errorClues(cause: unknown): string {
	const clues: string[] = [];
	let error = cause as ErrorLike | undefined;
	for (let depth = 0; error && typeof error === 'object' && depth < 3; depth++) {
		clues.push(String(error.message ?? ''), String(error.code ?? ''));
		error = error.cause as ErrorLike | undefined;
	}
	return clues.join(' ').trim();
}

/**
 * Describes a request that never got an answer (DNS, refused, reset, timeout, TLS) from the vault
 * at `vaultUrl`. `cause` is the error the HTTP client threw; only its kind is told, in words.
 */
export function describeVaultUnreachable(vaultUrl: string, cause: unknown): VaultProblem {
	const reason = cause instanceof Error ? cause.message : String(cause);
	const clue = errorClues(cause) || reason;
	if (/timeout|timed out|aborted|ETIMEDOUT|ECONNABORTED/i.test(clue)) {
		return {
			message: `The Otobot Vault at ${vaultUrl} did not answer in time`,
			details: [`Check that the vault is running and healthy (GET ${vaultUrl}/health).`],
			code: 'VAULT_TIMEOUT',
			cause: reason,
		};
	}
	const kind = CAUSES.find(([pattern]) => pattern.test(clue))?.[1];
	return {
		message: `Could not reach the Otobot Vault at ${vaultUrl}${kind ? ` (${kind})` : ''}`,
		details: ['Check the Vault URL of the credential: it is where n8n reaches the vault.'],
		code: 'VAULT_UNREACHABLE',
		cause: reason,
	};
}

/**
 * A success status without a JSON object: not the vault's answer (a proxy page, a Vault URL that
 * points at another server). `text` is the start of what came instead, when the caller has it.
 */
export function describeVaultBadAnswer(statusCode: number, text?: string): VaultProblem {
	const answer = text ? ` Answer: ${text.slice(0, 200)}` : '';
	return {
		message: 'The Otobot Vault answered something that is not a vault answer',
		details: [
			`HTTP ${statusCode} without a JSON object: check that the Vault URL points at the vault and not at a proxy or another server.${answer}`,
		],
		code: 'VAULT_BAD_ANSWER',
	};
}

/** A credential with no access token (an API key, basic auth…) asked for as a bearer token. */
export function describeNoAccessToken(target: VaultTarget, type: unknown): VaultProblem {
	return {
		message: `The ${target.service} connection of client "${target.clientId}" holds no access token`,
		details: [
			`Its type is ${String(type)}: read it with the Get Credentials operation of the node.`,
		],
	};
}

/**
 * The problem as the single line a credential's Test result or preAuthentication error shows.
 * `cause` is left out: it may hold an error code that n8n would replace by a generic sentence.
 */
export function oneLine(problem: VaultProblem): string {
	return [problem.message, ...problem.details]
		.map((part) => part.replace(/[.\s]+$/, ''))
		.join('. ')
		.concat('.');
}
