import { VaultError, serviceNotFound } from '../errors.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Database } from '../storage/database.js';
import {
	OAUTH_APP_COLUMNS,
	servicesStore,
	type ServiceFields,
	type ServiceRow,
} from '../storage/services-store.js';
import {
	credentialInQuery,
	credentialInQueryMessage,
	parseProviderUrl,
	urlProblemMessage,
} from '../oauth/provider-url.js';
import { isPrivateAddress, type PrivateAddressPolicy } from '../oauth/address-policy.js';
import { checkProviderAnswerSettings } from './provider-answer-settings.js';
import { changedServiceFields } from './service-changes.js';

export interface ServiceInput extends Omit<ServiceFields, 'oauth_client_secret_ciphertext'> {
	oauth_client_secret?: string | null;
	/** Before migration 0013 the interval was set in hours: still accepted, stored in minutes. */
	keepalive_interval_hours?: number | null;
}

/**
 * A service as the API shows it: the client secret only as a yes/no, and the keep-alive interval
 * also in hours (minutes / 60), as callers written before minutes read it.
 */
export type PublicService = Omit<ServiceRow, 'oauth_client_secret_ciphertext'> & {
	has_client_secret: boolean;
	keepalive_interval_hours: number | null;
};

/** The input with a keep-alive interval given in hours turned into minutes; both: a 400. */
function keepaliveInMinutes(input: ServiceInput): Omit<ServiceInput, 'keepalive_interval_hours'> {
	const { keepalive_interval_hours: hours, ...rest } = input;
	if (hours === undefined) return rest;
	if (rest.keepalive_interval_minutes !== undefined) {
		throw new VaultError(
			'VALIDATION_FAILED',
			'Give keepalive_interval_minutes or keepalive_interval_hours, not both',
		);
	}
	return { ...rest, keepalive_interval_minutes: hours === null ? null : hours * 60 };
}

export const serviceSecretContext = (name: string) =>
	JSON.stringify(['service', name, 'oauth_client_secret']);

const URL_FIELDS = ['oauth_authorization_url', 'oauth_token_url', 'test_url'] as const;

/**
 * Provider URLs must be https (RFC 6749 §3.1, §3.2), so no secret travels in clear text, and hold
 * no credential (userinfo, or a query parameter such as client_secret: RFC 6749 §2.3.1), which
 * GET /v1/services and the console would show.
 */
function checkUrls(input: ServiceInput, allowInsecure: boolean): void {
	for (const field of URL_FIELDS) {
		const value = input[field];
		if (value === undefined || value === null) continue;
		const checked = parseProviderUrl(value, allowInsecure);
		if ('problem' in checked)
			throw new VaultError('VALIDATION_FAILED', urlProblemMessage(field, checked.problem));
		const parameter = credentialInQuery(checked.url);
		if (parameter !== undefined)
			throw new VaultError('VALIDATION_FAILED', credentialInQueryMessage(field, parameter));
	}
}

/**
 * With PROVIDER_PRIVATE_ADDRESSES=refuse, the URLs the vault sends secrets to (token URL, test
 * URL, accounts servers) may not name a private IP address (oauth/address-policy.ts). Host names
 * are judged when they are called, by what they resolve to then.
 */
function checkAddresses(input: ServiceInput, policy: PrivateAddressPolicy | undefined): void {
	if (policy !== 'refuse') return;
	const named: [string, string | null | undefined][] = [
		['oauth_token_url', input.oauth_token_url],
		['test_url', input.test_url],
		...(input.accounts_servers ?? []).map((server): [string, string] => [
			'accounts_servers',
			server,
		]),
	];
	for (const [field, value] of named) {
		const host = value && URL.canParse(value) ? new URL(value).hostname : undefined;
		if (host === undefined || !isPrivateAddress(host)) continue;
		throw new VaultError(
			'VALIDATION_FAILED',
			`${field} is a private address (${host.replace(/^\[(.*)\]$/, '$1')}); ` +
				'set PROVIDER_PRIVATE_ADDRESSES=allow to permit',
		);
	}
}

function toFields(keyring: Keyring, name: string, input: ServiceInput): ServiceFields {
	const { oauth_client_secret: secret, ...fields } = input;
	if (secret === undefined) return fields;
	return {
		...fields,
		oauth_client_secret_ciphertext:
			secret === null ? null : keyring.encrypt(secret, serviceSecretContext(name)).ciphertext,
	};
}

export function publicService(row: ServiceRow): PublicService {
	const { oauth_client_secret_ciphertext: secret, ...rest } = row;
	const minutes = row.keepalive_interval_minutes;
	return {
		...rest,
		has_client_secret: secret !== null,
		keepalive_interval_hours: minutes === null ? null : minutes / 60,
	};
}

export interface ServiceOptions {
	allowInsecureUrls: boolean;
	/** PROVIDER_PRIVATE_ADDRESSES: `refuse` turns away private IP literals at once. */
	privateAddresses?: PrivateAddressPolicy;
}

export async function createService(
	db: Database,
	keyring: Keyring,
	name: string,
	given: ServiceInput,
	options: ServiceOptions,
): Promise<PublicService> {
	const input = keepaliveInMinutes(given);
	checkUrls(input, options.allowInsecureUrls);
	checkProviderAnswerSettings(input, options.allowInsecureUrls);
	checkAddresses(input, options.privateAddresses);
	const row = await servicesStore(db).insert(name, toFields(keyring, name, input));
	if (!row) throw new VaultError('SERVICE_EXISTS', `A service named '${name}' already exists`);
	return publicService(row);
}

/**
 * Applies a PATCH. Resolves with the service as changed and the names of the fields whose value
 * changed (for the audit row; the client secret by name only). SERVICE_NOT_FOUND when absent.
 */
export async function updateService(
	db: Database,
	keyring: Keyring,
	name: string,
	given: ServiceInput,
	options: ServiceOptions,
): Promise<{ service: PublicService; changed: string[] }> {
	const input = keepaliveInMinutes(given);
	checkUrls(input, options.allowInsecureUrls);
	checkProviderAnswerSettings(input, options.allowInsecureUrls);
	checkAddresses(input, options.privateAddresses);
	const fields = toFields(keyring, name, input);
	const changesApp = OAUTH_APP_COLUMNS.some((column) => fields[column] !== undefined);
	const { row, changed } = await db.transaction(async (q) => {
		const store = servicesStore(q);
		const before = await store.get(name);
		if (!before) throw serviceNotFound(name);
		const changed = await changedServiceFields(before, input, (ciphertext) =>
			keyring.decryptText(ciphertext, serviceSecretContext(name)),
		);
		const updated = await store.update(name, fields);
		if (updated && changesApp) await store.clearAppError(name);
		return { row: updated && changesApp ? await store.get(name) : updated, changed };
	});
	if (!row) throw serviceNotFound(name);
	return { service: publicService(row), changed };
}

export async function getService(db: Database, name: string): Promise<PublicService> {
	const row = await servicesStore(db).get(name);
	if (!row) throw serviceNotFound(name);
	return publicService(row);
}

/** How many connections use the service `name` (an index-only count on connections_service_client). */
export const countServiceConnections = (db: Database, name: string): Promise<number> =>
	servicesStore(db).countConnections(name);

export async function listServices(db: Database): Promise<PublicService[]> {
	return (await servicesStore(db).list()).map(publicService);
}

export async function deleteService(db: Database, name: string): Promise<void> {
	const store = servicesStore(db);
	if (!(await store.get(name))) throw serviceNotFound(name);
	const inUse = await store.countConnections(name);
	if (inUse > 0) {
		throw new VaultError('SERVICE_IN_USE', `Service '${name}' still has ${inUse} connection(s)`);
	}
	await store.delete(name);
}
