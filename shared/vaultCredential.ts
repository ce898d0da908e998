import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { OTHER_SERVICE } from '../credentials/OtobotServices';
import { normaliseClientId, normaliseService } from './vaultIds';

/** The fields both credential types share, read the one way the node and both credentials do. */
export interface VaultCredentialSettings {
	/** The Vault URL, white space and trailing slashes removed. */
	vaultUrl: string;
	internalToken: string;
	/** The credential's Client ID, normalised but not checked (the node may override it). */
	clientId: string;
	/** The credential's service, "Other Service" when it says Other, normalised, not checked. */
	service: string;
}

/** A Vault URL n8n could not send a request to. */
export class VaultUrlError extends Error {
	constructor(vaultUrl: string, credential: string) {
		super(`The Vault URL "${vaultUrl}" of the ${credential} is not an http(s) URL`);
		this.name = 'VaultUrlError';
	}
}

/**
 * Reads a decrypted Otobot Database Credential or Otobot Vault OAuth2 Token credential.
 *
 * @throws VaultIdError when the Client ID or service is neither text nor a number.
 */
export function readVaultCredential(data: ICredentialDataDecryptedObject): VaultCredentialSettings {
	return {
		vaultUrl: String(data.vaultUrl ?? '')
			.trim()
			.replace(/\/+$/, ''),
		internalToken: String(data.internalToken ?? ''),
		clientId: normaliseClientId(data.clientId),
		service: normaliseService(data.service === OTHER_SERVICE ? data.otherService : data.service),
	};
}

/**
 * Checks that `vaultUrl` (as returned by {@link readVaultCredential}) is an absolute http(s) URL.
 *
 * @throws VaultUrlError naming `credential` otherwise.
 */
export function checkVaultUrl(vaultUrl: string, credential: string): string {
	if (!/^https?:\/\/[^/]/i.test(vaultUrl)) throw new VaultUrlError(vaultUrl, credential);
	return vaultUrl;
}
