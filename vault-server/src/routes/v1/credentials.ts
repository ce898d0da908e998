import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { VaultError } from '../../errors.js';
import { loadConnectionForFetch, revealCredential } from '../../domain/connections.js';
import { FetchLookups } from '../../domain/fetch-lookups.js';
import { fetchCredential } from '../../domain/credential-fetch.js';
import {
	ConnectionParams,
	Metadata,
	NullableString,
	NullableTimestamp,
	documented,
} from '../schemas.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { CREDENTIAL, REFRESH_IF_TOKEN } from '../examples.js';

export const Credential = Type.Object({
	client_id: Type.String(),
	service: Type.String(),
	type: Type.String(),
	access_token: NullableString,
	token_type: NullableString,
	expires_at: NullableTimestamp,
	scopes: Type.Array(Type.String()),
	api_key: Type.Optional(Type.String()),
	username: Type.Optional(Type.String()),
	password: Type.Optional(Type.String()),
	refresh_token: Type.Optional(Type.String()),
	metadata: Metadata,
});

const RefreshedCredential = Type.Object({
	...Credential.properties,
	refreshed: Type.Boolean({
		description:
			'false when the connection was renewed within MANUAL_REFRESH_INTERVAL_SECONDS (by any ' +
			'caller or process): the stored, fresh credential is answered without a provider call',
	}),
});

const CompareAndRefresh = Type.Object(
	{
		if_access_token_sha256: Type.Optional(
			Type.String({
				pattern: '^[0-9a-fA-F]{64}$',
				description:
					'SHA-256 (hex) of the access token an API refused: refresh only while the stored ' +
					'token is still that one, else answer the stored, newer token without a provider call',
			}),
		),
	},
	{ additionalProperties: false },
);

/** The route n8n calls on every execution: a client's current credential for a service. */
const credentials: FastifyPluginAsyncTypebox = async (fastify) => {
	const lookups = new FetchLookups(fastify.db, fastify.fetchCache);
	const fetchDeps = { lookups, refresher: fastify.refresher, keyring: fastify.keyring };

	fastify.get(
		'/credentials/:client_id/:service',
		{
			config: { scope: 'read', action: 'credential.fetch' },
			schema: {
				tags: ['credentials'],
				operationId: 'fetchCredential',
				summary: "Fetch a client's current credential",
				description:
					'What n8n calls on every execution. An OAuth2 token that expires within the refresh ' +
					'skew is refreshed first (once, however many callers ask at the same time); a token ' +
					'that cannot be refreshed but is still valid is served. Each fetch writes an audit ' +
					'row before the answer leaves.',
				params: ConnectionParams,
				querystring: Type.Object(
					{
						include_refresh_token: Type.Boolean({
							default: false,
							description: 'Also answer the refresh token (admin tokens only)',
						}),
					},
					{ additionalProperties: false },
				),
				headers: Type.Object({
					'x-n8n-workflow-id': Type.Optional(
						Type.String({
							maxLength: 128,
							description: 'Kept in the audit row',
							examples: ['wf-invoices'],
						}),
					),
					'x-n8n-execution-id': Type.Optional(
						Type.String({
							maxLength: 128,
							description: 'Kept in the audit row',
							examples: ['88121'],
						}),
					),
				}),
				response: {
					200: documented(Credential, 'The credential, decrypted', CREDENTIAL),
					...errorResponses([
						'CLIENT_NOT_FOUND',
						'CONNECTION_NOT_FOUND',
						'CONNECTION_NEEDS_REAUTH',
						'VAULT_DECRYPTION_FAILED',
						'REFRESH_FAILED',
						'REFRESH_BUSY',
					]),
				},
			},
		},
		async (request) => {
			const { client_id: clientId, service } = request.params;
			const includeRefreshToken = request.query.include_refresh_token;
			if (includeRefreshToken && request.actor?.scope !== 'admin') {
				throw new VaultError('FORBIDDEN', 'include_refresh_token needs an admin token');
			}
			const credential = await fetchCredential(fetchDeps, clientId, service, request.actor, {
				includeRefreshToken,
			});
			request.auditNote = {
				usedConnection: { clientId, service },
				details: includeRefreshToken ? { refresh_token_included: true } : undefined,
			};
			return credential;
		},
	);

	fastify.post(
		'/credentials/:client_id/:service/refresh',
		{
			config: { scope: 'read', action: 'credential.refresh' },
			schema: {
				tags: ['credentials'],
				operationId: 'refreshCredential',
				summary: 'Refresh an OAuth2 credential now',
				description:
					'Asks the provider for a new access token now, whatever its expiry (RFC 6749 §6), and ' +
					'answers the new credential. Concurrent refreshes of one connection make one request ' +
					'to the provider, and a connection renewed less than MANUAL_REFRESH_INTERVAL_SECONDS ' +
					'ago (30 s by default) is answered from storage with `refreshed: false`. An API key ' +
					'or a login cannot be refreshed. Compare-and-refresh: with `if_access_token_sha256` the ' +
					'provider is called exactly when the stored access token is still the refused one ' +
					'(once per refused token, however many callers or processes report it), whatever ' +
					'the interval; a stored token that already differs is answered with `refreshed: false`.',
				params: ConnectionParams,
				'x-optional-body': true,
				body: documented(
					CompareAndRefresh,
					'Optional (no body: a plain refresh): the token an API refused',
					REFRESH_IF_TOKEN,
				),
				response: {
					200: documented(RefreshedCredential, 'The refreshed credential', {
						...CREDENTIAL,
						refreshed: true,
					}),
					...errorResponses([
						...BODY_ERRORS,
						'CLIENT_NOT_FOUND',
						'CONNECTION_NOT_FOUND',
						'CONNECTION_NEEDS_REAUTH',
						'CREDENTIAL_NOT_ALLOWED',
						'VAULT_DECRYPTION_FAILED',
						'REFRESH_FAILED',
						'REFRESH_BUSY',
					]),
				},
			},
			// the body is optional: a request without one is a plain refresh
			preValidation: async (request) => {
				request.body ??= {};
			},
		},
		async (request) => {
			const { client_id: clientId, service } = request.params;
			const stored = await loadConnectionForFetch(lookups, clientId, service);
			const refused = request.body.if_access_token_sha256;
			const renewed = await fastify.refresher.refreshOnDemand(stored, request.actor, {
				ifAccessTokenSha256: refused,
			});
			request.auditNote = {
				usedConnection: { clientId, service },
				// whether the token was still the refused one; never the hash a caller sent
				details: refused === undefined ? undefined : { compare: true, matched: renewed.matched },
			};
			const credential = await revealCredential(fastify.keyring, renewed.connection, {
				includeRefreshToken: false,
			});
			return { ...credential, refreshed: renewed.refreshed };
		},
	);
};

export default credentials;
