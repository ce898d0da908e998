/**
 * One call to an OAuth2 token endpoint (RFC 6749 §3.2), with the safety a vault needs: a timeout,
 * no redirects followed, a bounded answer, and errors that name what happened without ever
 * carrying the answer's body (which may hold tokens).
 */
import type { PrivateAddressPolicy } from './address-policy.js';
import { ProviderCallError, providerRequest, type ProviderAnswer } from './provider-http.js';
import { parseProviderUrl } from './provider-url.js';
import { tokenAnswerOf, type AnswerRules, type TokenAnswer } from './token-answer.js';
import {
	errorFrom,
	retryAfter,
	TokenEndpointError,
	type ServiceErrorCodes,
} from './token-error.js';

export { TokenEndpointError, type TokenFailureKind } from './token-error.js';
export type { TokenAnswer } from './token-answer.js';

export interface TokenEndpoint {
	url: string;
	clientId: string | null;
	clientSecret: string | null;
	/** RFC 6749 §2.3.1: HTTP Basic (`client_secret_basic`) or body parameters (`client_secret_post`). */
	authMethod: 'client_secret_post' | 'client_secret_basic' | 'none';
	format: 'form' | 'json';
	extraParams: Record<string, string>;
	timeoutMs: number;
	allowInsecure: boolean;
	/** PROVIDER_PRIVATE_ADDRESSES (address-policy.ts); `allow` when unset. */
	privateAddresses?: PrivateAddressPolicy;
	/** How the service's success answers are read (kept fields, user tokens). */
	answerRules?: AnswerRules;
	/** The service's own error codes (token-error.ts); the RFC defaults apply without them. */
	errorCodes?: ServiceErrorCodes;
}

const MAX_ANSWER_BYTES = 256 * 1024;

function checkUrl(raw: string, allowInsecure: boolean): URL {
	const checked = parseProviderUrl(raw, allowInsecure);
	if ('url' in checked) return checked.url;
	throw new TokenEndpointError(
		'transient',
		checked.problem === 'invalid'
			? 'the service has no valid token URL'
			: checked.problem === 'userinfo'
				? 'the token URL must not hold a user name or password'
				: 'the token URL must be https',
	);
}

function requestOf(endpoint: TokenEndpoint, grant: Record<string, string>) {
	const params: Record<string, string> = { ...endpoint.extraParams, ...grant };
	const headers: Record<string, string> = { accept: 'application/json' };
	if (endpoint.authMethod === 'client_secret_basic' && endpoint.clientId) {
		const user = encodeURIComponent(endpoint.clientId);
		const password = encodeURIComponent(endpoint.clientSecret ?? '');
		headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
	} else if (endpoint.clientId) {
		params.client_id = endpoint.clientId;
		if (endpoint.authMethod === 'client_secret_post' && endpoint.clientSecret) {
			params.client_secret = endpoint.clientSecret;
		}
	}
	if (endpoint.format === 'json') {
		headers['content-type'] = 'application/json';
		return { headers, body: JSON.stringify(params) };
	}
	headers['content-type'] = 'application/x-www-form-urlencoded';
	return { headers, body: new URLSearchParams(params).toString() };
}

/** A failed call's reason: the policy's refusal as it is, the others as they always read. */
function failureReason(error: unknown): string {
	if (!(error instanceof ProviderCallError)) return 'network error';
	if (error.problem === 'too_large') return 'the token endpoint answered too much data';
	return error.message;
}

function parseAnswer(text: string, contentType: string): Record<string, unknown> | undefined {
	if (contentType.includes('application/x-www-form-urlencoded')) {
		return Object.fromEntries(new URLSearchParams(text));
	}
	try {
		const value: unknown = JSON.parse(text);
		return value !== null && typeof value === 'object' && !Array.isArray(value)
			? (value as Record<string, unknown>)
			: undefined;
	} catch {
		return undefined;
	}
}

/** Posts a grant to the token endpoint and returns the new tokens, or throws TokenEndpointError. */
export async function requestToken(
	endpoint: TokenEndpoint,
	grant: Record<string, string>,
): Promise<TokenAnswer> {
	const url = checkUrl(endpoint.url, endpoint.allowInsecure);
	const { headers, body } = requestOf(endpoint, grant);
	let response: ProviderAnswer;
	try {
		response = await providerRequest(url, {
			method: 'POST',
			headers,
			body,
			timeoutMs: endpoint.timeoutMs,
			maxBytes: MAX_ANSWER_BYTES,
			privateAddresses: endpoint.privateAddresses ?? 'allow',
			role: 'the token URL',
		});
	} catch (error) {
		throw new TokenEndpointError('transient', failureReason(error));
	}
	const text = response.text;
	const answer = parseAnswer(text, response.headers.get('content-type') ?? '');
	if (response.status === 429)
		throw new TokenEndpointError(
			'transient',
			'rate limited (HTTP 429)',
			retryAfter(response.headers),
		);
	if (response.status >= 500)
		throw new TokenEndpointError(
			'transient',
			`HTTP ${response.status}`,
			retryAfter(response.headers),
		);
	if (!answer)
		throw new TokenEndpointError('transient', `unreadable answer (HTTP ${response.status})`);
	// some providers (Slack) answer 200 with {"ok": false, "error": ...}
	if (response.status >= 300 || answer.error !== undefined || answer.ok === false)
		throw errorFrom(answer, response.status, endpoint.errorCodes);
	return tokenAnswerOf(answer, endpoint.answerRules);
}
