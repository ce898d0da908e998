import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN_FILE, EMBEDDED_ADMIN_TOKEN_FILE } from '../bootstrap-admin.js';
import type { Config } from '../config/config.js';
import { DatabaseLocked } from '../storage/open-database.js';
import { runningVaultUrl } from '../running-vault.js';

/** A running vault's /v1 API, called with an admin token this machine holds. */
export interface VaultApi {
	/** The API's base URL. */
	readonly url: string;
	/** `method` `path` (under the API URL) with an optional JSON body; resolves with the JSON answer. */
	request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: object): Promise<T>;
}

/**
 * An admin token this machine already holds: ADMIN_API_TOKEN, else the embedded database's
 * bootstrap token file (`admin-token-embedded` when `admin-token` held another database's token
 * at its first start, else `admin-token`; see bootstrap-admin.ts).
 */
function localAdminToken(config: Config): string | undefined {
	const fromEnvironment = config.adminTokens[0]?.reveal();
	if (fromEnvironment) return fromEnvironment;
	const file = [EMBEDDED_ADMIN_TOKEN_FILE, ADMIN_TOKEN_FILE]
		.map((name) => join(config.dataDir, name))
		.find((path) => existsSync(path));
	return file ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * The running vault to ask instead of the database, when `error` says the embedded database is
 * held by it (PGlite serves one process) and an admin token is at hand; otherwise rethrows
 * `error`. Errors of a request name the URL and the API's error code, never the token.
 */
export function vaultApiInstead(config: Config, error: unknown, timeoutMs = 60_000): VaultApi {
	const token = error instanceof DatabaseLocked ? localAdminToken(config) : undefined;
	if (!token) throw error;
	// where the holder said it listens (`serve --port` may differ from PORT), else the configured URL
	const base = runningVaultUrl(config.dataDir, (error as DatabaseLocked).pid) ?? config.apiUrl;
	return {
		url: base,
		async request<T>(method: string, path: string, body?: object) {
			const url = `${base}${path}`;
			const response = await fetch(url, {
				method,
				headers: {
					authorization: `Bearer ${token}`,
					...(body ? { 'content-type': 'application/json' } : {}),
				},
				body: body ? JSON.stringify(body) : undefined,
				signal: AbortSignal.timeout(timeoutMs),
			});
			const answer = (await response.json().catch(() => undefined)) as
				| { code?: string; message?: string }
				| undefined;
			if (!response.ok)
				throw new Error(
					`${method} ${url} answered HTTP ${response.status}` +
						(answer?.code ? ` ${answer.code}: ${answer.message ?? ''}` : ''),
				);
			return answer as T;
		},
	};
}
