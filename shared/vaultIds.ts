/**
 * The vault's rules for client ids and service names, the one copy the package keeps: the
 * Credential Fetcher node and both credentials normalise and check every id here, so they accept
 * and refuse the same values. test-nodes/vault-ids.test.ts holds these patterns against the
 * vault's own OpenAPI document (`GET /docs/json`, path parameters `client_id` and `service`).
 */

/** The vault's `client_id` pattern (OpenAPI path parameter; `clients.id` CHECK in SQL). */
export const CLIENT_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
/** The vault's `service` pattern (OpenAPI path parameter; `services.name` CHECK in SQL). */
export const SERVICE_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';
/** The longest client id or service name the patterns accept, in characters. */
export const ID_MAX_LENGTH = 64;

const CLIENT_ID = new RegExp(CLIENT_ID_PATTERN);
const SERVICE = new RegExp(SERVICE_PATTERN);

/** Which client's connection to which service a request is about, as the vault names them. */
export interface VaultTarget {
	clientId: string;
	service?: string;
}

/** A value the vault could never match, with the sentence every caller shows for it. */
export class VaultIdError extends Error {
	constructor(
		readonly field: 'clientId' | 'service',
		message: string,
	) {
		super(message);
		this.name = 'VaultIdError';
	}
}

const LABELS = { clientId: 'Client ID', service: 'Service' } as const;

function text(field: VaultIdError['field'], value: unknown): string {
	if (value === null || value === undefined) return '';
	if (typeof value === 'string' || typeof value === 'number') return String(value).trim();
	throw new VaultIdError(field, `The ${LABELS[field]} must be text, not ${typeof value}`);
}

/**
 * A client id as typed or computed (string or number), surrounding white space removed; `null`
 * and `undefined` give `''`. Case is kept: the vault's ids are case-sensitive (`Acme` and `acme`
 * are two clients).
 *
 * @throws VaultIdError when the value is neither text nor a number.
 */
export function normaliseClientId(value: unknown): string {
	return text('clientId', value);
}

/**
 * A service name as typed or computed, surrounding white space removed and lower-cased: the
 * vault's service names are lower-case only, so `Google` can only ever mean `google`.
 *
 * @throws VaultIdError when the value is neither text nor a number.
 */
export function normaliseService(value: unknown): string {
	return text('service', value).toLowerCase();
}

/**
 * Checks a normalised client id against the vault's pattern.
 *
 * @throws VaultIdError (`field: 'clientId'`) when the id is empty or the vault could never match
 *   it; the message says which rule it breaks.
 */
export function checkClientId(clientId: string): string {
	if (clientId === '') throw new VaultIdError('clientId', 'No Client ID');
	if (!CLIENT_ID.test(clientId)) {
		throw new VaultIdError(
			'clientId',
			`"${clientId.slice(0, 80)}" can never be a vault Client ID: it must start with a letter or ` +
				`digit and hold only letters, digits, "_", "." and "-" (at most ${ID_MAX_LENGTH} characters)`,
		);
	}
	return clientId;
}

/**
 * Checks a normalised service name against the vault's pattern.
 *
 * @throws VaultIdError (`field: 'service'`) when the name is empty or the vault could never
 *   match it.
 */
export function checkService(service: string): string {
	if (service === '') throw new VaultIdError('service', 'No Service');
	if (!SERVICE.test(service)) {
		throw new VaultIdError(
			'service',
			`"${service.slice(0, 80)}" can never be a vault service name: it must start with a letter ` +
				`or digit and hold only letters, digits, "_" and "-" (at most ${ID_MAX_LENGTH} characters)`,
		);
	}
	return service;
}

/**
 * Normalises and checks a client id and, unless `service` is `undefined`, a service name: the
 * target every vault path of the package is built from.
 *
 * @throws VaultIdError for the first value the vault could never match.
 */
export function vaultTarget(clientId: unknown, service?: unknown): VaultTarget {
	const target: VaultTarget = { clientId: checkClientId(normaliseClientId(clientId)) };
	if (service !== undefined) target.service = checkService(normaliseService(service));
	return target;
}

/** `GET /v1/credentials/{client_id}/{service}`: one client's credential for one service. */
export function credentialPath(target: VaultTarget): string {
	return `/v1/credentials/${encodeURIComponent(target.clientId)}/${encodeURIComponent(target.service ?? '')}`;
}
