import { VaultError } from '../errors.js';
import { parseProviderUrl } from '../oauth/provider-url.js';
import type { ServiceFields } from '../storage/services-store.js';

/** Answer fields that hold secrets: never kept in metadata, whatever a service row says. */
const SECRET_FIELD = /(^|[._])(access_token|refresh_token|id_token|token|secret|password|code)$/i;

function checkAnswerFields(fields: string[] | undefined): void {
	for (const path of fields ?? []) {
		if (SECRET_FIELD.test(path) || /secret|password/i.test(path)) {
			throw new VaultError(
				'VALIDATION_FAILED',
				`answer_fields: '${path}' names a secret; only non-secret fields are kept in metadata`,
			);
		}
	}
}

function checkCallbackParams(params: Record<string, string> | undefined): void {
	for (const [name, pattern] of Object.entries(params ?? {})) {
		if (
			!/^[A-Za-z0-9_-]{1,64}$/.test(name) ||
			['code', 'state', 'error', 'error_description', 'accounts-server'].includes(name)
		) {
			throw new VaultError('VALIDATION_FAILED', `callback_params: '${name}' is not metadata`);
		}
		try {
			new RegExp(`^(?:${pattern})$`, 'u');
		} catch {
			throw new VaultError(
				'VALIDATION_FAILED',
				`callback_params: the pattern of '${name}' is not a valid regular expression`,
			);
		}
	}
}

/** Each accounts server an origin only (scheme, host, port): the token path is the service's. */
function checkAccountsServers(servers: string[] | undefined, allowInsecure: boolean): void {
	for (const server of servers ?? []) {
		const checked = parseProviderUrl(server, allowInsecure);
		if ('url' in checked && checked.url.origin === server) continue;
		throw new VaultError(
			'VALIDATION_FAILED',
			`accounts_servers: '${server}' must be an origin such as https://accounts.example.com` +
				' (https unless ALLOW_INSECURE_OAUTH_URLS=true, no path, no trailing slash)',
		);
	}
}

/**
 * Checks a service's answer and callback settings (migration 0012): kept answer fields name no
 * secret, callback parameter patterns compile, accounts servers are bare origins. Throws
 * VALIDATION_FAILED naming the field.
 */
export function checkProviderAnswerSettings(fields: ServiceFields, allowInsecure: boolean): void {
	checkAnswerFields(fields.answer_fields);
	checkCallbackParams(fields.callback_params);
	checkAccountsServers(fields.accounts_servers, allowInsecure);
}
