import type { Keyring } from '../crypto/keyring.js';

/** The secret part of a connection, encrypted as one document. */
export interface CredentialSecret {
	access_token?: string;
	api_key?: string;
	username?: string;
	password?: string;
}

/** Additional data binding a ciphertext to its row and field: moved elsewhere, it fails. */
export const connectionContext = (
	clientId: string,
	service: string,
	field: 'credential' | 'refresh_token',
) => JSON.stringify(['connection', clientId, service, field]);

export function sealConnectionSecrets(
	keyring: Keyring,
	clientId: string,
	service: string,
	secret: CredentialSecret,
	refreshToken: string | null,
) {
	const credential = keyring.encrypt(
		JSON.stringify(secret),
		connectionContext(clientId, service, 'credential'),
	);
	const refresh =
		refreshToken === null
			? null
			: keyring.encrypt(refreshToken, connectionContext(clientId, service, 'refresh_token'));
	return {
		credentialCiphertext: credential.ciphertext,
		refreshTokenCiphertext: refresh?.ciphertext ?? null,
		keyVersion: credential.keyVersion,
	};
}

export async function openCredentialSecret(
	keyring: Keyring,
	clientId: string,
	service: string,
	ciphertext: Uint8Array,
): Promise<CredentialSecret> {
	const text = await keyring.decryptText(
		ciphertext,
		connectionContext(clientId, service, 'credential'),
	);
	return JSON.parse(text) as CredentialSecret;
}

export async function openRefreshToken(
	keyring: Keyring,
	clientId: string,
	service: string,
	ciphertext: Uint8Array,
): Promise<string> {
	return keyring.decryptText(ciphertext, connectionContext(clientId, service, 'refresh_token'));
}
