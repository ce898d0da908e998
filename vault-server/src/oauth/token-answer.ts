/**
 * A token endpoint's success answer (RFC 6749 §5.1) read and validated before anything is stored:
 * which token is the credential, its expiry, type and granted scopes, and the non-secret fields
 * the service keeps beside it.
 */
import { TokenEndpointError } from './token-error.js';
import { parseGrantedScope } from './scopes.js';

/** What a service says about its answers (the `services` columns of the same names). */
export interface AnswerRules {
	/** Dotted paths of non-secret answer fields kept in the connection's metadata. */
	fields: string[];
	/** An answer object that may carry a user token (Slack's `authed_user`), or null. */
	userTokenField: string | null;
	/** Take the user token even when the answer also has a top-level (bot) token. */
	preferUserToken: boolean;
}

export interface TokenAnswer {
	access_token: string;
	refresh_token?: string;
	/** Seconds, 0 meaning expired now; undefined when the provider did not say (§5.1 optional). */
	expires_in?: number;
	token_type?: string;
	/** The scopes the answer states (§3.3), undefined when it states none. */
	scopes?: string[];
	/** The kept fields, by their dotted path: strings, numbers and booleans only. */
	metadata: Record<string, string | number | boolean>;
}

export const NO_ANSWER_RULES: AnswerRules = {
	fields: [],
	userTokenField: null,
	preferUserToken: false,
};

/** Longest access or refresh token taken (characters); Entra's JWTs stay under 8 KiB. */
export const MAX_TOKEN_LENGTH = 16_384;
/** Longest kept answer field value (characters). */
export const MAX_FIELD_LENGTH = 2048;
const MAX_EXPIRES_IN = 31_536_000;
/** RFC 6750 §2.1 b64token and the characters real providers add (`!` Salesforce, `|` others). */
const TOKEN = /^[\x21-\x7e]+$/;
/** RFC 6749 §7.1: a token type is a short name (`Bearer`, `bot`, `user`, `N_A`). */
const TOKEN_TYPE = /^[A-Za-z0-9_.-]{1,32}$/;
const CONTROL_OR_LONE_SURROGATE = /[\u0000-\u001f\u007f]|\p{Cs}/u;

const refused = (what: string) =>
	new TokenEndpointError('transient', `answer with a malformed ${what}`);

function tokenOf(value: unknown, what: string, required: boolean): string | undefined {
	if (value === undefined || value === null || value === '') {
		if (required) throw new TokenEndpointError('transient', 'answer without an access_token');
		return undefined;
	}
	if (typeof value !== 'string' || value.length > MAX_TOKEN_LENGTH || !TOKEN.test(value))
		throw refused(what);
	return value;
}

/** Seconds as a number or numeric string; zero or negative means expired now. */
function expiresIn(value: unknown): number | undefined {
	const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return undefined;
	return Math.min(Math.max(Math.floor(seconds), 0), MAX_EXPIRES_IN);
}

function tokenTypeOf(value: unknown): string | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value !== 'string' || !TOKEN_TYPE.test(value)) throw refused('token_type');
	return value;
}

/** Space- or comma-delimited (RFC 6749 §3.3, Slack, Zoho) or a JSON array of strings. */
function scopesOf(value: unknown): string[] | undefined {
	const list =
		typeof value === 'string'
			? parseGrantedScope(value)
			: Array.isArray(value)
				? value.flatMap((scope) => (typeof scope === 'string' ? parseGrantedScope(scope) : []))
				: [];
	const usable = list.filter(
		(scope) => scope.length <= 256 && !CONTROL_OR_LONE_SURROGATE.test(scope),
	);
	return usable.length > 0 ? usable.slice(0, 256) : undefined;
}

function pathValue(answer: Record<string, unknown>, path: string): unknown {
	let value: unknown = answer;
	for (const key of path.split('.')) {
		if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
		value = (value as Record<string, unknown>)[key];
	}
	return value;
}

/** The kept fields that are plain, well-formed, bounded values; anything else is left out. */
function keptFields(answer: Record<string, unknown>, fields: string[]) {
	const kept: Record<string, string | number | boolean> = {};
	for (const path of fields) {
		const value = pathValue(answer, path);
		if (typeof value === 'number' && Number.isFinite(value)) kept[path] = value;
		else if (typeof value === 'boolean') kept[path] = value;
		else if (
			typeof value === 'string' &&
			value.length <= MAX_FIELD_LENGTH &&
			!CONTROL_OR_LONE_SURROGATE.test(value)
		)
			kept[path] = value;
	}
	return kept;
}

/** The object carrying the credential: the answer itself, or its user-token object. */
function tokenSource(answer: Record<string, unknown>, rules: AnswerRules) {
	if (!rules.userTokenField) return answer;
	const user = answer[rules.userTokenField];
	const hasUserToken =
		user !== null && typeof user === 'object' && !Array.isArray(user) && 'access_token' in user;
	const hasTopToken = answer.access_token !== undefined && answer.access_token !== '';
	return hasUserToken && (rules.preferUserToken || !hasTopToken)
		? (user as Record<string, unknown>)
		: answer;
}

/**
 * Reads a success answer (RFC 6749 §5.1) under a service's rules. Throws a transient
 * TokenEndpointError (nothing is stored) when it has no access token, or a token longer than
 * MAX_TOKEN_LENGTH or outside visible ASCII, or a `token_type` that is not a short name.
 */
export function tokenAnswerOf(
	answer: Record<string, unknown>,
	rules: AnswerRules = NO_ANSWER_RULES,
): TokenAnswer {
	const source = tokenSource(answer, rules);
	return {
		access_token: tokenOf(source.access_token, 'access_token', true)!,
		refresh_token: tokenOf(source.refresh_token, 'refresh_token', false),
		expires_in: expiresIn(source.expires_in),
		token_type: tokenTypeOf(source.token_type),
		scopes: scopesOf(source.scope),
		metadata: keptFields(answer, rules.fields),
	};
}
