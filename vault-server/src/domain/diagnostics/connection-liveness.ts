import type { Keyring } from '../../crypto/keyring.js';
import type { Database } from '../../storage/database.js';
import type { ConnectionRow } from '../../storage/connections-store.js';
import type { ServiceRow } from '../../storage/services-store.js';
import { openCredentialSecret } from '../connection-secrets.js';
import type { AuditWriter } from '../audit-writer.js';
import { isExpired } from '../refresh/refresh-policy.js';
import { parseProviderUrl } from '../../oauth/provider-url.js';
import type { PrivateAddressPolicy } from '../../oauth/address-policy.js';
import { ProviderCallError, providerRequest } from '../../oauth/provider-http.js';
import type { Actor } from '../api-tokens.js';
import type { CheckResult } from './system-checks.js';
import { DEMO_CLIENT_ID, DEMO_SERVICE_NAMES } from '../demo-data.js';

export interface LivenessDependencies {
	db: Database;
	keyring: Keyring;
	/** Each test call is audited here as a use of the connection's credential. */
	audit: AuditWriter;
	timeoutMs: number;
	allowInsecure: boolean;
	/** PROVIDER_PRIVATE_ADDRESSES for test_urls other than the vault's own; `allow` when unset. */
	privateAddresses?: PrivateAddressPolicy;
	/**
	 * The vault's own API where it answers on this machine: a test_url there may be http, and the
	 * demo data's connections are checked there, whatever address they were inserted under.
	 */
	selfUrl: string;
	/** Who the test calls are audited as; the CLI's own actor when unset. */
	actor?: Actor;
}

const CLI_ACTOR: Actor = {
	id: 'cli:test-connections',
	name: 'otobot-vault test-connections',
	scope: 'admin',
	clients: null,
	source: 'environment',
};

type TestUrlOutcome = { status: 'OK' | 'FAILED' | 'SKIPPED'; detail: string };

/** What the credential.test row says of a call: the answer's status, or why there was none. */
interface CallOutcome {
	httpStatus: number | null;
	errorCode: string | null;
	outcome: 'ok' | 'http_error' | 'timeout' | 'unreachable' | 'refused';
}

/**
 * The `credential.test` audit row: the connection's credential was sent to its service's
 * test_url. Awaited: a test whose use cannot be audited is reported FAILED.
 */
async function auditTestCall(
	deps: LivenessDependencies,
	connection: ConnectionRow,
	call: CallOutcome,
	startedAt: number,
): Promise<void> {
	const actor = deps.actor ?? CLI_ACTOR;
	await deps.audit.record({
		entry: {
			occurred_at: new Date().toISOString(),
			request_id: null,
			actor_id: actor.id,
			actor_name: actor.name,
			action: 'credential.test',
			client_id: connection.client_id,
			service: connection.service,
			status_code: call.httpStatus,
			error_code: call.errorCode,
			ip: null,
			user_agent: null,
			duration_ms: Date.now() - startedAt,
			workflow_id: null,
			execution_id: null,
			details: { outcome: call.outcome },
		},
	});
}

/** A test_url as a check may show it: origin and path; its query may hold a key. */
const shown = (url: URL) => `${url.origin}${url.pathname}`;

const CAUSES: Record<string, string> = {
	ECONNREFUSED: 'connection refused',
	ECONNRESET: 'connection reset',
	ENOTFOUND: 'host not found',
	EAI_AGAIN: 'name lookup failed',
	EHOSTUNREACH: 'host unreachable',
	ENETUNREACH: 'network unreachable',
};

/** Why a call got no answer, from the system's error code (never a header or a body). */
function networkCause(error: unknown): string {
	const code = error instanceof ProviderCallError ? error.systemCode : undefined;
	if (code === undefined) return 'network error';
	return CAUSES[code]
		? `${CAUSES[code]} (${code})`
		: code.startsWith('ERR_TLS') || code.includes('CERT')
			? `TLS error (${code})`
			: code;
}

/** GET the service's test_url with the connection's credential; only the status is kept. */
async function callTestUrl(
	deps: LivenessDependencies,
	connection: ConnectionRow,
	service: ServiceRow,
): Promise<TestUrlOutcome> {
	// the demo data checks the vault being asked, which may run on another port than at its insert
	const demo = connection.client_id === DEMO_CLIENT_ID && DEMO_SERVICE_NAMES.includes(service.name);
	const testUrl = demo ? `${deps.selfUrl}/health` : service.test_url!;
	// the vault calling itself at the address it answers on reaches no third party
	const self = URL.canParse(testUrl) && new URL(testUrl).origin === new URL(deps.selfUrl).origin;
	const checked = parseProviderUrl(testUrl, deps.allowInsecure || self);
	if ('problem' in checked)
		return {
			status: 'FAILED',
			detail:
				checked.problem === 'invalid'
					? 'test_url is not a valid URL'
					: checked.problem === 'userinfo'
						? 'test_url must not hold a user name or password'
						: `test_url ${shown(new URL(testUrl))} must be https (http only for this vault's own ${deps.selfUrl}, or with ALLOW_INSECURE_OAUTH_URLS)`,
		};
	const { url } = checked;
	const secret = await openCredentialSecret(
		deps.keyring,
		connection.client_id,
		connection.service,
		connection.credential_ciphertext,
	);
	const authorization =
		secret.username !== undefined
			? `Basic ${Buffer.from(`${secret.username}:${secret.password ?? ''}`).toString('base64')}`
			: `${connection.token_type ?? 'Bearer'} ${secret.access_token ?? secret.api_key ?? ''}`;
	const startedAt = Date.now();
	let outcome: TestUrlOutcome;
	let call: CallOutcome;
	try {
		const response = await providerRequest(url, {
			method: 'GET',
			headers: { authorization, accept: 'application/json' },
			timeoutMs: deps.timeoutMs,
			maxBytes: 0,
			privateAddresses: self ? 'allow' : (deps.privateAddresses ?? 'allow'),
			role: 'the test_url',
		});
		const ok = response.status >= 200 && response.status < 300;
		call = {
			httpStatus: response.status,
			errorCode: ok ? null : 'TEST_FAILED',
			outcome: ok ? 'ok' : 'http_error',
		};
		outcome = ok
			? {
					status: 'OK',
					detail: self ? "the vault's own test_url answered 2xx" : 'test_url answered 2xx',
				}
			: { status: 'FAILED', detail: `test_url answered HTTP ${response.status}` };
	} catch (error) {
		const problem = error instanceof ProviderCallError ? error.problem : 'network';
		const timedOut = problem === 'timeout';
		const refused = problem === 'private_address';
		call = {
			httpStatus: null,
			errorCode: refused ? 'TEST_REFUSED' : timedOut ? 'TEST_TIMEOUT' : 'TEST_UNREACHABLE',
			outcome: refused ? 'refused' : timedOut ? 'timeout' : 'unreachable',
		};
		outcome = refused
			? { status: 'FAILED', detail: (error as Error).message }
			: self
				? { status: 'SKIPPED', detail: `test_url is the vault's API, not running at ${url.origin}` }
				: {
						status: 'FAILED',
						detail: timedOut
							? `test_url ${shown(url)} timed out after ${deps.timeoutMs} ms`
							: `test_url ${shown(url)} unreachable: ${networkCause(error)}`,
					};
	}
	try {
		await auditTestCall(deps, connection, call, startedAt);
	} catch {
		return { status: 'FAILED', detail: `${outcome.detail}; its audit row could not be written` };
	}
	return outcome;
}

/**
 * Whether a connection works now: a GET of its service's test_url with its credential, audited
 * as `credential.test` (actor, client, service, outcome); without a test_url it is not tested
 * (no refresh is made in its place), unless it is plainly expired.
 */
export async function checkConnection(
	deps: LivenessDependencies,
	connection: ConnectionRow,
	service: ServiceRow,
): Promise<CheckResult> {
	const name = `${connection.client_id}/${connection.service}`;
	if (connection.status === 'needs_reauth')
		return {
			name,
			status: 'FAILED',
			detail: `needs re-authorisation (${connection.last_error ?? 'no reason recorded'})`,
		};
	if (connection.status === 'disabled') return { name, status: 'SKIPPED', detail: 'disabled' };
	try {
		if (service.test_url) return { name, ...(await callTestUrl(deps, connection, service)) };
		if (isExpired(connection))
			return {
				name,
				status: 'FAILED',
				detail: 'token expired and no refresh token: the client must reconnect',
			};
		// a refresh would be no test of the credential stored, and its failure no failure of it
		return {
			name,
			status: 'NOT CHECKED',
			detail: `not tested (no test_url on service '${service.name}')`,
		};
	} catch (error) {
		return {
			name,
			status: 'FAILED',
			detail: error instanceof Error ? error.message : String(error),
		};
	}
}
