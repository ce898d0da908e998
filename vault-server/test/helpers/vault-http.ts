import { ADMIN_TOKEN, INTERNAL_TOKEN } from './vault-app.js';

/** Headers of an admin request with a JSON body, to a vault process over real HTTP. */
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
/** Headers of a read-scoped request (the n8n token), to a vault process over real HTTP. */
export const internal = { authorization: `Bearer ${INTERNAL_TOKEN}` };

/** What `callVault` answers: the status, the body parsed when it is JSON (else `{}`), the text. */
export interface VaultAnswer {
	status: number;
	body: Record<string, any>;
	text: string;
}

/**
 * One request to a running vault (a `serve` process) at `base` + `path`: GET with the read token
 * unless told otherwise, `body` sent as JSON. Never throws on an HTTP status; a network failure
 * rejects as fetch does.
 */
export async function callVault(
	base: string,
	path: string,
	init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<VaultAnswer> {
	const response = await fetch(`${base}${path}`, {
		method: init.method ?? 'GET',
		headers: init.headers ?? internal,
		body: init.body === undefined ? undefined : JSON.stringify(init.body),
	});
	const text = await response.text();
	const json = response.headers.get('content-type')?.includes('json') ?? false;
	return {
		status: response.status,
		body: (json ? JSON.parse(text) : {}) as Record<string, any>,
		text,
	};
}
