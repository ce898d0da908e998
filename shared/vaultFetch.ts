import type { IDataObject } from 'n8n-workflow';

import {
	describeVaultBadAnswer,
	describeVaultRefusal,
	describeVaultUnreachable,
	type VaultProblem,
} from './vaultAnswers';
import { checkVaultUrl, type VaultCredentialSettings } from './vaultCredential';
import { credentialPath, vaultTarget, type VaultTarget } from './vaultIds';
import { accessTokenSha256 } from './refusedToken';

/** How long a vault request may take: a vault that hangs fails the item instead of the workflow. */
export const VAULT_TIMEOUT_MS = 30_000;

/** Sends one JSON request through whichever n8n HTTP helper the caller has. */
export type VaultCall = (request: {
	method: 'GET' | 'POST';
	url: string;
	headers: Record<string, string>;
	body?: IDataObject;
}) => Promise<{ statusCode: number; body: unknown }>;

/** What a fetch may add: the access token an API refused (compare-and-refresh). */
export interface VaultFetchOptions {
	refusedAccessToken?: string;
}

export type VaultFetchResult =
	| { ok: true; target: VaultTarget; credential: IDataObject }
	| { ok: false; problem: VaultProblem };

function settingProblem(error: Error, credential: string): VaultProblem {
	const field = (error as { field?: string }).field;
	const hint =
		field === 'clientId'
			? `Set the Client ID of the ${credential}.`
			: field === 'service'
				? `Set the Service (or Other Service) of the ${credential}.`
				: 'Use the vault address n8n reaches, e.g. http://api-internal:3001.';
	return { message: error.message, details: [hint], code: 'INVALID_SETTING' };
}

/**
 * Fetches, as the credentials do (`GET /v1/credentials/{client_id}/{service}` with the Internal
 * Token as bearer, RFC 6750 section 2.1), the credential that `settings` name: the Vault URL,
 * Client ID and service are normalised and checked first by shared/vaultIds.ts, as the node does,
 * so a value the vault could never match gets the package's one message without a request.
 * With `refusedAccessToken` (a token an API answered 401 to) it asks for a compare-and-refresh
 * instead (`POST …/refresh` with the token's SHA-256 only): the vault renews the token exactly when
 * it still stores that one, else it answers the newer token it has.
 * Never throws: every failure comes back as a {@link VaultProblem} in the package's words;
 * `credential` names the credential in them.
 */
export async function fetchVaultCredential(
	call: VaultCall,
	settings: VaultCredentialSettings,
	credential: string,
	options: VaultFetchOptions = {},
): Promise<VaultFetchResult> {
	let url: string;
	let target: VaultTarget;
	try {
		const vaultUrl = checkVaultUrl(settings.vaultUrl, credential);
		target = vaultTarget(settings.clientId, settings.service);
		url = `${vaultUrl}${credentialPath(target)}`;
	} catch (error) {
		return { ok: false, problem: settingProblem(error as Error, credential) };
	}

	let answer: { statusCode: number; body: unknown };
	try {
		const headers = { Authorization: `Bearer ${settings.internalToken}` };
		const refused = options.refusedAccessToken;
		answer = await (refused
			? call({
					method: 'POST',
					url: `${url}/refresh`,
					headers,
					body: { if_access_token_sha256: accessTokenSha256(refused) },
				})
			: call({ method: 'GET', url, headers }));
	} catch (error) {
		return { ok: false, problem: describeVaultUnreachable(settings.vaultUrl, error) };
	}
	const { statusCode, body } = answer;
	if (body === null || typeof body !== 'object' || Array.isArray(body)) {
		return { ok: false, problem: describeVaultBadAnswer(statusCode) };
	}
	if (statusCode < 200 || statusCode > 299) {
		return {
			ok: false,
			problem: describeVaultRefusal(statusCode, body as IDataObject, target, credential),
		};
	}
	return { ok: true, target, credential: body as IDataObject };
}
