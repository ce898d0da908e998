/**
 * The console's one way to data: the vault's /v1 JSON API, authenticated by the session cookie
 * (sent by the browser, never readable here). Every request that changes something carries the
 * session's CSRF token in `x-csrf-token`.
 */
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
	) {
		super(message);
	}
}

let csrfToken: string | undefined;
let signedOut: () => void = () => {};

export function useSession(token: string | undefined, onSignedOut: () => void): void {
	csrfToken = token;
	signedOut = onSignedOut;
}

/**
 * Calls `method path` and answers its JSON. `body` is sent as JSON, or as itself with its own type
 * when it is a file (`Blob`: a logo upload). Throws ApiError with the API's code and message on
 * any 4xx or 5xx; a 401 also signs the console out.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
	const headers: Record<string, string> = { accept: 'application/json' };
	const file = body instanceof Blob ? body : undefined;
	if (file) headers['content-type'] = file.type || 'application/octet-stream';
	else if (body !== undefined) headers['content-type'] = 'application/json';
	if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
	const response = await fetch(path, {
		method,
		headers,
		credentials: 'same-origin',
		body: file ?? (body === undefined ? undefined : JSON.stringify(body)),
	});
	if (response.status === 204) return undefined as T;
	const data = (await response.json().catch(() => ({}))) as {
		code?: string;
		message?: string;
	};
	if (!response.ok) {
		const error = new ApiError(
			response.status,
			data.code ?? 'UNKNOWN',
			data.message ?? `The vault answered ${response.status}`,
		);
		if (response.status === 401 && !path.startsWith('/v1/sessions')) signedOut();
		throw error;
	}
	return data as T;
}

/** `path` with the defined values of `query` as its query string. */
export function withQuery(
	path: string,
	query: Record<string, string | number | undefined>,
): string {
	const parameters = new URLSearchParams();
	for (const [name, value] of Object.entries(query)) {
		if (value !== undefined && value !== '') parameters.set(name, String(value));
	}
	const text = parameters.toString();
	return text ? `${path}?${text}` : path;
}
