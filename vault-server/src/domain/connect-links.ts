import { randomBytes } from 'node:crypto';
import { clientNotFound, serviceNotFound } from '../errors.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Queryable } from '../storage/database.js';
import { clientsStore } from '../storage/clients-store.js';
import { servicesStore, type ServiceRow } from '../storage/services-store.js';
import { connectLinksStore, type ConnectLinkRow } from '../storage/connect-links-store.js';
import { oauthStatesStore } from '../storage/oauth-states-store.js';
import { authorizationUrl } from '../oauth/authorization-request.js';
import { createPkcePair } from '../oauth/pkce.js';
import { parseProviderUrl } from '../oauth/provider-url.js';
import { hashToken } from './api-tokens.js';
import { ConnectFlowError } from './connect-flow-error.js';

export const DEFAULT_LINK_MINUTES = 7 * 24 * 60;
export const MAX_LINK_MINUTES = 30 * 24 * 60;
/** How long a client has between opening a link and coming back from the provider. */
export const STATE_LIFETIME_SECONDS = 600;
/** Expired links are kept this long, so an old link is answered "expired" rather than "unknown". */
const EXPIRED_LINK_RETENTION_DAYS = 30;

export interface ConnectLinkOptions {
	/** Default 7 days; at most 30 days. */
	expiresInMinutes?: number;
	/** The id of the API token creating the link, kept with it (never its value). */
	createdBy?: string | null;
	/** ALLOW_INSECURE_OAUTH_URLS: accept http:// provider URLs (local testing only). */
	allowInsecureUrls?: boolean;
}

export interface ConnectLink {
	/** The secret of the link (256 bits, base64url); the vault keeps only its SHA-256. */
	token: string;
	expires_at: Date;
}

/** The additional data binding an encrypted code_verifier to the one state it belongs to. */
export const verifierContext = (stateId: string) =>
	JSON.stringify(['oauth_state', stateId, 'code_verifier']);

/** A state's id: its hash in hex (the generated `state_id` column). */
export const stateIdOf = (stateHash: Uint8Array) => Buffer.from(stateHash).toString('hex');

function connectProblem(service: ServiceRow, allowInsecure: boolean): string | undefined {
	if (service.oauth_type !== 'oauth2') return `its oauth_type is ${service.oauth_type}, not oauth2`;
	if (!service.oauth_client_id)
		return "it has no OAuth app (set the service's oauth_client_id and oauth_client_secret)";
	for (const field of ['oauth_authorization_url', 'oauth_token_url'] as const) {
		const value = service[field];
		if (!value) return `it has no ${field}`;
		const checked = parseProviderUrl(value, allowInsecure);
		if ('problem' in checked)
			return checked.problem === 'userinfo'
				? `its ${field} holds a user name or password`
				: `its ${field} is not an https URL`;
	}
	return undefined;
}

/**
 * Refuses a service a client cannot connect by a link: not an authorization-code service, no
 * OAuth app, or provider URLs that are missing or not https (a row inserted by SQL skips the
 * API's URL checks, so they are made again here, before any redirect).
 */
export function checkConnectable(
	service: ServiceRow,
	allowInsecure: boolean,
	clientId?: string,
): void {
	const problem = connectProblem(service, allowInsecure);
	if (!problem) return;
	throw new ConnectFlowError(
		'SERVICE_NOT_CONNECTABLE',
		`Service '${service.name}' cannot be connected with a link: ${problem}`,
		clientId ? { clientId, service: service.name } : undefined,
	);
}

/**
 * Creates a connect link for a client and service: a 256-bit random token in the URL, of which
 * the vault keeps only the SHA-256. Throws CLIENT_NOT_FOUND, SERVICE_NOT_FOUND or
 * SERVICE_NOT_CONNECTABLE.
 */
export async function createConnectLink(
	db: Queryable,
	clientId: string,
	service: string,
	options: ConnectLinkOptions,
): Promise<ConnectLink> {
	if (!(await clientsStore(db).get(clientId))) throw clientNotFound(clientId);
	const row = await servicesStore(db).get(service);
	if (!row) throw serviceNotFound(service);
	checkConnectable(row, options.allowInsecureUrls ?? false);
	const minutes = Math.min(options.expiresInMinutes ?? DEFAULT_LINK_MINUTES, MAX_LINK_MINUTES);
	const token = randomBytes(32).toString('base64url');
	const store = connectLinksStore(db);
	await store.purgeExpired(EXPIRED_LINK_RETENTION_DAYS);
	const link = await store.insert({
		tokenHash: hashToken(token),
		clientId,
		service,
		createdBy: options.createdBy ?? null,
		expiresInMinutes: Math.max(1, Math.floor(minutes)),
	});
	return { token, expires_at: link.expires_at };
}

function checkOpenable(link: ConnectLinkRow | undefined): ConnectLinkRow {
	if (!link) {
		throw new ConnectFlowError(
			'CONNECT_LINK_NOT_FOUND',
			'This connect link is not valid. Ask for a new one.',
		);
	}
	const subject = { clientId: link.client_id, service: link.service };
	if (link.revoked_at) {
		throw new ConnectFlowError(
			'CONNECT_LINK_REVOKED',
			'This connect link was revoked, so it cannot connect an account. Ask for a new one.',
			subject,
		);
	}
	if (link.completed_at) {
		throw new ConnectFlowError(
			'CONNECT_LINK_USED',
			'This connect link was already used to connect the account. Ask for a new one to connect again.',
			subject,
		);
	}
	if (link.expired) {
		throw new ConnectFlowError(
			'CONNECT_LINK_EXPIRED',
			'This connect link has expired. Ask for a new one.',
			subject,
		);
	}
	return link;
}

/**
 * Opens a connect link: issues a single-use state (RFC 6749 §10.12) valid 10 minutes and, unless
 * the service disables it, a PKCE pair (RFC 7636), and answers where to send the browser. The
 * link stays usable until a connection is completed with it; a revoked, used or expired link
 * starts no authorization (CONNECT_LINK_REVOKED, CONNECT_LINK_USED, CONNECT_LINK_EXPIRED).
 */
export async function openConnectLink(
	db: Queryable,
	keyring: Keyring,
	token: string,
	options: { redirectUri: string; allowInsecureUrls: boolean },
): Promise<{ location: string; clientId: string; service: string }> {
	const link = checkOpenable(await connectLinksStore(db).findByHash(hashToken(token)));
	const service = await servicesStore(db).get(link.service);
	if (!service) throw serviceNotFound(link.service);
	checkConnectable(service, options.allowInsecureUrls, link.client_id);

	const state = randomBytes(32).toString('base64url');
	const stateHash = hashToken(state);
	const pkce = service.pkce ? createPkcePair() : null;
	const states = oauthStatesStore(db);
	await states.purgeExpired();
	await states.insert({
		stateHash,
		linkId: link.id,
		codeVerifierCiphertext: pkce
			? keyring.encrypt(pkce.verifier, verifierContext(stateIdOf(stateHash))).ciphertext
			: null,
		expiresInSeconds: STATE_LIFETIME_SECONDS,
	});
	const location = authorizationUrl({
		service,
		redirectUri: options.redirectUri,
		state,
		pkce,
	});
	return { location, clientId: link.client_id, service: link.service };
}
