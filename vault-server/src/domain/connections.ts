import { VaultError, clientNotFound, connectionNotFound, serviceNotFound } from '../errors.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Database } from '../storage/database.js';
import { clientsStore } from '../storage/clients-store.js';
import { connectionsStore, type ConnectionRow } from '../storage/connections-store.js';
import { servicesStore, type OAuthType, type ServiceRow } from '../storage/services-store.js';
import {
	openCredentialSecret,
	openRefreshToken,
	sealConnectionSecrets,
	type CredentialSecret,
} from './connection-secrets.js';
import { nextRefreshAt } from './refresh/refresh-policy.js';
import { revokeOpenLinks } from './connect-link-admin.js';
import type { FetchLookups } from './fetch-lookups.js';

export interface ConnectionInput {
	access_token?: string;
	refresh_token?: string;
	expires_at?: string;
	expires_in?: number;
	token_type?: string;
	scopes?: string[];
	api_key?: string;
	username?: string;
	password?: string;
	metadata?: Record<string, unknown>;
}

type SecretField = keyof ConnectionInput;

/** What a connection of each service type must and may carry. */
const FIELDS: Record<OAuthType, { required: SecretField[]; allowed: SecretField[] }> = {
	oauth2: {
		required: ['access_token'],
		allowed: ['access_token', 'refresh_token', 'expires_at', 'expires_in', 'token_type', 'scopes'],
	},
	oauth2_client_credentials: {
		required: [],
		allowed: ['access_token', 'expires_at', 'expires_in', 'token_type', 'scopes'],
	},
	api_key: { required: ['api_key'], allowed: ['api_key'] },
	basic: { required: ['username', 'password'], allowed: ['username', 'password'] },
};

function checkFields(service: ServiceRow, input: ConnectionInput): void {
	const rule = FIELDS[service.oauth_type];
	const given = (Object.keys(input) as SecretField[]).filter(
		(field) => field !== 'metadata' && input[field] !== undefined,
	);
	const extra = given.filter((field) => !rule.allowed.includes(field));
	const missing = rule.required.filter((field) => input[field] === undefined);
	if (extra.length > 0 || missing.length > 0) {
		const parts = [
			missing.length > 0 ? `requires ${missing.join(', ')}` : '',
			extra.length > 0 ? `does not take ${extra.join(', ')}` : '',
		].filter(Boolean);
		throw new VaultError(
			'CREDENTIAL_NOT_ALLOWED',
			`Service '${service.name}' (${service.oauth_type}) ${parts.join(' and ')}`,
		);
	}
	if (input.expires_at !== undefined && input.expires_in !== undefined) {
		throw new VaultError('VALIDATION_FAILED', 'Give expires_at or expires_in, not both');
	}
}

function expiryOf(input: ConnectionInput, now: number): Date | null {
	if (input.expires_in !== undefined) return new Date(now + input.expires_in * 1000);
	if (input.expires_at !== undefined) return new Date(input.expires_at);
	return null;
}

export interface ConnectionStoreResult {
	created: boolean;
	connection: ConnectionRow;
}

/**
 * Stores (creates or replaces) a client's connection to a service, secrets encrypted, and revokes
 * the service's open connect links for the client (`connection_stored`).
 * `accountsServer`: the regional authorization server a connect flow used (null: the service's).
 */
export async function storeConnection(
	db: Database,
	keyring: Keyring,
	clientId: string,
	serviceName: string,
	input: ConnectionInput,
	accountsServer: string | null = null,
): Promise<ConnectionStoreResult> {
	if (!(await clientsStore(db).get(clientId))) throw clientNotFound(clientId);
	const service = await servicesStore(db).get(serviceName);
	if (!service) throw serviceNotFound(serviceName);
	checkFields(service, input);

	const secret: CredentialSecret = {
		access_token: input.access_token,
		api_key: input.api_key,
		username: input.username,
		password: input.password,
	};
	const refreshToken = input.refresh_token ?? null;
	const expiresAt = expiryOf(input, Date.now());
	const canRefresh = refreshToken !== null || service.oauth_type === 'oauth2_client_credentials';
	const sealed = sealConnectionSecrets(keyring, clientId, serviceName, secret, refreshToken);
	const store = connectionsStore(db);
	const { created } = await store.upsert({
		clientId,
		service: serviceName,
		...sealed,
		tokenType: service.oauth_type.startsWith('oauth2') ? (input.token_type ?? 'Bearer') : null,
		scopes: input.scopes ?? [],
		expiresAt,
		nextRefreshAt: nextRefreshAt(service, expiresAt, canRefresh),
		metadata: input.metadata ?? {},
		accountsServer,
	});
	// a link sent before this connection must not replace it with another account
	await revokeOpenLinks(db, clientId, serviceName, 'connection_stored');
	const connection = await store.get(clientId, serviceName);
	if (!connection) throw connectionNotFound(clientId, serviceName);
	return { created, connection };
}

export interface FetchedCredential {
	client_id: string;
	service: string;
	type: OAuthType;
	access_token: string | null;
	token_type: string | null;
	expires_at: Date | null;
	scopes: string[];
	api_key?: string;
	username?: string;
	password?: string;
	refresh_token?: string;
	metadata: Record<string, unknown>;
}

export const reconnectHint = (clientId: string, service: string) =>
	`The client must reconnect ${service}: create a connect link with ` +
	`\`otobot-vault connect-link ${clientId} ${service}\` or POST /v1/connect-links ` +
	`{"client_id":"${clientId}","service":"${service}"} (admin token), and send it to the client.`;

/** 409: only the client can restore this connection, by reconnecting. */
export function needsReauthError(clientId: string, service: string) {
	return new VaultError(
		'CONNECTION_NEEDS_REAUTH',
		`The connection of '${clientId}' to '${service}' needs re-authorisation`,
		{
			reconnect_hint: reconnectHint(clientId, service),
		},
	);
}

/** Loads a connection for a credential fetch, with the errors a fetch answers. */
export async function loadConnectionForFetch(
	lookups: FetchLookups,
	clientId: string,
	service: string,
) {
	const found = await lookups.find(clientId, service);
	if (!found.clientExists) throw clientNotFound(clientId);
	if (!found.connection) throw connectionNotFound(clientId, service);
	const connection = found.connection;
	if (connection.status === 'needs_reauth') throw needsReauthError(clientId, service);
	if (connection.status === 'disabled') throw connectionNotFound(clientId, service);
	return connection;
}

/** The decrypted credential a fetch answers; the refresh token only when asked for. */
export async function revealCredential(
	keyring: Keyring,
	connection: ConnectionRow,
	options: { includeRefreshToken: boolean },
): Promise<FetchedCredential> {
	const { client_id: clientId, service } = connection;
	const secret = await openCredentialSecret(
		keyring,
		clientId,
		service,
		connection.credential_ciphertext,
	);
	const credential: FetchedCredential = {
		client_id: clientId,
		service,
		type: connection.type,
		access_token: secret.access_token ?? null,
		token_type: connection.token_type,
		expires_at: connection.expires_at,
		scopes: connection.scopes,
		api_key: secret.api_key,
		username: secret.username,
		password: secret.password,
		metadata: connection.metadata,
	};
	if (options.includeRefreshToken && connection.refresh_token_ciphertext) {
		credential.refresh_token = await openRefreshToken(
			keyring,
			clientId,
			service,
			connection.refresh_token_ciphertext,
		);
	}
	return credential;
}
