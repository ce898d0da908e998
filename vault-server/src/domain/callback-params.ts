import type { ServiceRow } from '../storage/services-store.js';
import { ConnectFlowError, type ConnectSubject } from './connect-flow-error.js';

/** What a callback's query adds to a connection, once checked against its service. */
export interface CallbackExtras {
	/** The service's declared callback parameters that came, plus an accepted accounts server. */
	metadata: Record<string, string>;
	/** The regional accounts server to exchange the code at and refresh at, or null. */
	accountsServer: string | null;
}

const ACCOUNTS_SERVER = 'accounts-server';

/**
 * Reads the non-secret parameters a provider adds to the redirect (QuickBooks `realmId`, Zoho
 * `location` and `accounts-server`), before any code exchange: only those the service declares
 * (`callback_params`, each a whole-value pattern; `accounts_servers`) and only in that form.
 * Other parameters are ignored. Throws VALIDATION_FAILED (a 400 page) when a declared one is
 * malformed or names an accounts server the service does not list: nothing is exchanged.
 */
export function callbackExtras(
	service: ServiceRow,
	query: Record<string, unknown>,
	subject: ConnectSubject,
): CallbackExtras {
	const metadata: Record<string, string> = {};
	for (const [name, pattern] of Object.entries(service.callback_params ?? {})) {
		const value = query[name];
		if (value === undefined) continue;
		if (typeof value !== 'string' || !new RegExp(`^(?:${pattern})$`, 'u').test(value)) {
			throw new ConnectFlowError(
				'VALIDATION_FAILED',
				`${service.display_name} sent a '${name}' this vault does not accept, so nothing was connected. Tell the agency that sent you the link.`,
				subject,
			);
		}
		metadata[name] = value;
	}
	const server = query[ACCOUNTS_SERVER];
	const allowed = service.accounts_servers ?? [];
	if (server === undefined || allowed.length === 0) return { metadata, accountsServer: null };
	if (typeof server !== 'string' || !allowed.includes(server)) {
		throw new ConnectFlowError(
			'VALIDATION_FAILED',
			`Your ${service.display_name} account is kept at a data centre (accounts server) this vault does not allow, so nothing was connected. Opening the link again will not help: tell the agency that sent you the link.`,
			subject,
		);
	}
	metadata[ACCOUNTS_SERVER] = server;
	return { metadata, accountsServer: server };
}
