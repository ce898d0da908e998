import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN_FILE, EMBEDDED_ADMIN_TOKEN_FILE } from '../bootstrap-admin.js';
import type { Config } from '../config/config.js';
import { PROCESS_ENVIRONMENT } from '../config/environment.js';
import { DatabaseLocked } from '../storage/open-database.js';
import { runningVaultUrl } from '../running-vault.js';
import { CliFailure } from './cli-output.js';

/** A running vault's /v1 API, called with an admin token this machine holds. */
export interface VaultApi {
	/** The API's base URL. */
	readonly url: string;
	/** `method` `path` (under the API URL) with an optional JSON body; resolves with the JSON answer. */
	request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: object): Promise<T>;
}

/** An admin token and where it came from, to name in a refusal (never the token). */
interface LocalToken {
	value: string;
	source: string;
}

/**
 * An admin token this machine already holds: ADMIN_API_TOKEN, else the embedded database's
 * bootstrap token file (`admin-token-embedded` when `admin-token` held another database's token
 * at its first start, else `admin-token`; see bootstrap-admin.ts).
 */
function localAdminToken(config: Config): LocalToken | undefined {
	const fromEnvironment = config.adminTokens[0]?.reveal();
	if (fromEnvironment)
		return {
			value: fromEnvironment,
			source: `ADMIN_API_TOKEN (set in ${config.sources.ADMIN_API_TOKEN ?? PROCESS_ENVIRONMENT})`,
		};
	const file = [EMBEDDED_ADMIN_TOKEN_FILE, ADMIN_TOKEN_FILE]
		.map((name) => join(config.dataDir, name))
		.find((path) => existsSync(path));
	return file ? { value: readFileSync(file, 'utf8').trim(), source: file } : undefined;
}

// what every refusal below says to do: the two ways out
const CURE =
	'set ADMIN_API_TOKEN to a valid admin token of that vault (the console makes one under API ' +
	'tokens; `otobot-vault token create --scope admin` while it is stopped), or stop the vault ' +
	'and run this again';

/** Why a request got no answer, in words: the system's error code, never a header or a token. */
function networkCause(error: unknown): string {
	if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time';
	const code = (error as { cause?: { code?: unknown } }).cause?.code;
	return typeof code === 'string' ? code : 'network error';
}

/**
 * The running vault to ask instead of the database, when `error` says the embedded database is
 * held by it (PGlite serves one process); otherwise rethrows `error`. Without an admin token at
 * hand, and for every failed request, throws a CliFailure saying what to do; its messages name
 * the URL, the API's error code and where the token came from, never the token.
 */
export function vaultApiInstead(config: Config, error: unknown, timeoutMs = 60_000): VaultApi {
	if (!(error instanceof DatabaseLocked)) throw error;
	const holder = `The running vault (process ${error.pid}) holds the embedded database in ${error.path}`;
	const token = localAdminToken(config);
	if (!token)
		throw new CliFailure(
			`${holder}; this command asks it over its API, which needs an admin token, and none is ` +
				`here (no ADMIN_API_TOKEN, no ${join(config.dataDir, ADMIN_TOKEN_FILE)}): ${CURE}.`,
		);
	// where the holder said it listens (`serve --port` may differ from PORT), else the configured URL
	const base = runningVaultUrl(config.dataDir, error.pid) ?? config.apiUrl;
	return {
		url: base,
		async request<T>(method: string, path: string, body?: object) {
			const url = `${base}${path}`;
			let response: Response;
			try {
				response = await fetch(url, {
					method,
					headers: {
						authorization: `Bearer ${token.value}`,
						...(body ? { 'content-type': 'application/json' } : {}),
					},
					body: body ? JSON.stringify(body) : undefined,
					signal: AbortSignal.timeout(timeoutMs),
				});
			} catch (cause) {
				throw new CliFailure(
					`${holder}, but it did not answer at ${base} (${networkCause(cause)}): check that it ` +
						'still runs (its log says why not), or stop it and run this again.',
				);
			}
			const answer = (await response.json().catch(() => undefined)) as
				| { code?: string; message?: string }
				| undefined;
			if (response.status === 401 || response.status === 403)
				throw new CliFailure(
					`The running vault at ${base} refused the admin token from ${token.source} ` +
						`(HTTP ${response.status}${answer?.code ? ` ${answer.code}` : ''}: ` +
						`${response.status === 401 ? 'not a valid token: revoked, expired or mistyped' : 'not an admin token'}): ${CURE}.`,
				);
			if (!response.ok)
				throw new CliFailure(
					`${method} ${url} answered HTTP ${response.status}` +
						(answer?.code ? ` ${answer.code}: ${answer.message ?? ''}` : ''),
				);
			return answer as T;
		},
	};
}
