import { clientNotFound, serviceNotFound } from '../errors.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Database } from '../storage/database.js';
import { clientsStore } from '../storage/clients-store.js';
import { servicesStore, type ServiceRow } from '../storage/services-store.js';
import { connectionsStore } from '../storage/connections-store.js';
import { connectLinksStore } from '../storage/connect-links-store.js';
import {
	oauthStatesStore,
	type ConsumedStateRow,
	type OAuthStateRow,
} from '../storage/oauth-states-store.js';
import { tokenEndpointFor } from './refresh/service-endpoint.js';
import type { PrivateAddressPolicy } from '../oauth/address-policy.js';
import { requestToken, TokenEndpointError, type TokenAnswer } from '../oauth/token-endpoint.js';
import { scopesOf } from '../oauth/authorization-request.js';
import { hashToken } from './api-tokens.js';
import { emitWebhookEvent } from './webhooks/webhook-events.js';
import { storeConnection } from './connections.js';
import { ConnectFlowError, type ConnectSubject } from './connect-flow-error.js';
import { checkConnectable, stateIdOf, verifierContext } from './connect-links.js';
import { callbackExtras } from './callback-params.js';

/** The redirect's query (RFC 6749 §4.1.2 and §4.1.2.1), with whatever else the provider adds. */
export type CallbackQuery = Record<string, unknown> & {
	code?: string;
	state?: string;
	error?: string;
};

export interface CallbackOptions {
	/** The redirect URI the authorization request carried (RFC 6749 §4.1.3 requires the same). */
	redirectUri: string;
	allowInsecureUrls: boolean;
	/** PROVIDER_PRIVATE_ADDRESSES for the code exchange; `allow` when unset. */
	privateAddresses?: PrivateAddressPolicy;
	timeoutMs: number;
}

export interface CompletedConnection extends ConnectSubject {
	clientName: string;
	serviceName: string;
}

const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

async function consumeState(db: Database, value: string | undefined): Promise<ConsumedStateRow> {
	const invalid = () =>
		new ConnectFlowError(
			'OAUTH_STATE_INVALID',
			'This sign-in answer is not valid. Open your connect link again.',
		);
	if (!value) throw invalid();
	const hash = hashToken(value);
	const store = oauthStatesStore(db);
	const consumed = await store.consume(hash);
	if (consumed) return consumed;
	const found = await store.find(hash);
	if (!found) throw invalid();
	const subject = { clientId: found.client_id, service: found.service };
	if (found.used_at) {
		throw new ConnectFlowError(
			'OAUTH_STATE_USED',
			'This sign-in answer was already used. If the account is not connected, open your connect link again.',
			subject,
		);
	}
	throw new ConnectFlowError(
		'OAUTH_STATE_EXPIRED',
		'The sign-in took more than 10 minutes. Open your connect link again.',
		subject,
	);
}

/** Why a consumed state's link could not be spent: revoked, expired, or used (maybe a moment ago). */
function unspentLink(state: ConsumedStateRow): ConnectFlowError {
	const subject = { clientId: state.client_id, service: state.service };
	if (state.link_revoked) {
		return new ConnectFlowError(
			'CONNECT_LINK_REVOKED',
			'This connect link was revoked, so nothing was connected. Ask for a new one.',
			subject,
		);
	}
	if (state.link_expired) {
		return new ConnectFlowError(
			'CONNECT_LINK_EXPIRED',
			'This connect link has expired, so nothing was connected. Ask for a new one.',
			subject,
		);
	}
	return new ConnectFlowError(
		'CONNECT_LINK_USED',
		'This connect link was already used to connect the account.',
		subject,
	);
}

function refusalOf(error: string, subject: ConnectSubject): ConnectFlowError {
	const code = ERROR_CODE.test(error) ? error : 'unreadable error';
	if (code === 'access_denied') {
		return new ConnectFlowError(
			'OAUTH_AUTHORIZATION_DENIED',
			'Access was not granted, so nothing was connected. Open your connect link again to retry.',
			subject,
		);
	}
	return new ConnectFlowError(
		'OAUTH_AUTHORIZATION_FAILED',
		`The provider answered with an error (${code}), so nothing was connected. Open your connect link again to retry.`,
		subject,
	);
}

async function exchangeCode(
	keyring: Keyring,
	service: ServiceRow,
	state: OAuthStateRow,
	code: string,
	options: CallbackOptions,
	accountsServer: string | null,
): Promise<TokenAnswer> {
	const subject = { clientId: state.client_id, service: service.name };
	const grant: Record<string, string> = {
		grant_type: 'authorization_code',
		code,
		redirect_uri: options.redirectUri,
	};
	if (state.code_verifier_ciphertext) {
		grant.code_verifier = await keyring.decryptText(
			state.code_verifier_ciphertext,
			verifierContext(stateIdOf(state.state_hash)),
		);
	}
	try {
		// RFC 6749 §4.1.3 at the accounts server the user's account lives at, when it has one
		const endpoint = await tokenEndpointFor(
			service,
			keyring,
			{
				timeoutMs: options.timeoutMs,
				allowInsecure: options.allowInsecureUrls,
				privateAddresses: options.privateAddresses,
			},
			accountsServer,
		);
		return await requestToken(endpoint, grant);
	} catch (error) {
		if (!(error instanceof TokenEndpointError)) throw error;
		throw new ConnectFlowError(
			'OAUTH_EXCHANGE_FAILED',
			`${service.display_name} did not hand over the tokens (${error.reason}). Open your connect link again to retry.`,
			subject,
		);
	}
}

/**
 * Completes the authorization code grant (RFC 6749 §4.1.2 to §4.1.4) for the callback of a
 * connect link: consumes the state (single use) and spends the link in one statement, exchanges
 * the code with the PKCE verifier (RFC 7636 §4.5) and stores the tokens on the state's own
 * connection, back to active. Of two callbacks of one link only the one that spent it exchanges a
 * code; a callback that fails after spending gives the link back, so the client can retry. Only
 * the state decides whose connection it is: nothing else in the query does.
 */
export async function completeAuthorization(
	db: Database,
	keyring: Keyring,
	query: CallbackQuery,
	options: CallbackOptions,
): Promise<CompletedConnection> {
	const state = await consumeState(db, query.state);
	if (!state.link_spent) throw unspentLink(state);
	try {
		return await completeSpent(db, keyring, state, query, options);
	} catch (error) {
		// the answer is the original failure; a link that stays spent only means asking for a new one
		await connectLinksStore(db)
			.unspend(state.link_id)
			.catch(() => undefined);
		throw error;
	}
}

/** The callback's work once it holds the link: check the answer, exchange the code, store. */
async function completeSpent(
	db: Database,
	keyring: Keyring,
	state: OAuthStateRow,
	query: CallbackQuery,
	options: CallbackOptions,
): Promise<CompletedConnection> {
	const subject = { clientId: state.client_id, service: state.service };
	if (query.error !== undefined) throw refusalOf(String(query.error), subject);
	if (!query.code) {
		throw new ConnectFlowError(
			'VALIDATION_FAILED',
			'The provider sent no authorization code. Open your connect link again.',
			subject,
		);
	}
	const [client, service] = await Promise.all([
		clientsStore(db).get(subject.clientId),
		servicesStore(db).get(subject.service),
	]);
	if (!client) throw clientNotFound(subject.clientId);
	if (!service) throw serviceNotFound(subject.service);
	checkConnectable(service, options.allowInsecureUrls, subject.clientId);
	// every extra parameter is checked before the code is spent at the provider
	const extras = callbackExtras(service, query, subject);

	const answer = await exchangeCode(
		keyring,
		service,
		state,
		query.code,
		options,
		extras.accountsServer,
	);
	const existing = await connectionsStore(db).get(subject.clientId, subject.service);
	const stored = await storeConnection(
		db,
		keyring,
		subject.clientId,
		subject.service,
		{
			access_token: answer.access_token,
			refresh_token: answer.refresh_token,
			// RFC 6749 §5.1: expires_in is optional; the service may say how long its tokens live
			expires_in: answer.expires_in ?? service.default_token_lifetime_seconds ?? undefined,
			token_type: answer.token_type,
			// RFC 6749 §5.1: an answer without scope granted exactly what was asked
			scopes: answer.scopes ?? scopesOf(service),
			metadata: { ...(existing?.metadata ?? {}), ...answer.metadata, ...extras.metadata },
		},
		extras.accountsServer,
	);
	// after the store (which needs the pool, not one transaction): a crash between the two loses
	// this one event, never the connection
	await emitWebhookEvent(db, 'connection.connected', {
		connection: {
			client_id: subject.clientId,
			service: subject.service,
			status: stored.connection.status,
			refresh_failures: stored.connection.refresh_failures,
			last_error: stored.connection.last_error,
		},
		reconnected: !stored.created,
	});
	return { ...subject, clientName: client.name, serviceName: service.display_name };
}
