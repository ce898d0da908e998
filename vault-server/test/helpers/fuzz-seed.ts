import { expect } from 'vitest';
import {
	ADMIN_TOKEN,
	INTERNAL_TOKEN,
	TEST_MASTER_KEY,
	asAdmin,
	type TestVault,
} from './vault-app.js';

/** Every secret the seed stores, to search answers and logs for. */
export const SEEDED_SECRETS = {
	apiKey: 'sk-fuzz-api-key-5b8e1c',
	password: 'fuzz-password-c0ffee42',
	accessToken: 'at-fuzz-access-9d7f21',
	refreshToken: 'rt-fuzz-refresh-4a6b33',
	clientSecret: 'cs-fuzz-client-secret-71e0',
};

export interface FuzzTokens {
	/** A read token limited to `acme`. */
	limited: string;
	expired: string;
	revoked: string;
}

/** Clients acme and globex, an API-key, a login and an OAuth2 connection for each, and tokens. */
export async function seedFuzzData(vault: TestVault): Promise<FuzzTokens> {
	const admin = async (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
		const response = await vault.app.inject({ method, url, headers: asAdmin, payload });
		expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(300);
		return response.body ? response.json() : undefined;
	};
	const secrets = SEEDED_SECRETS;
	await admin('POST', '/v1/services', {
		name: 'fuzz-key',
		display_name: 'Key',
		oauth_type: 'api_key',
	});
	await admin('POST', '/v1/services', {
		name: 'fuzz-login',
		display_name: 'Login',
		oauth_type: 'basic',
	});
	await admin('POST', '/v1/services', {
		name: 'fuzz-oauth',
		display_name: 'OAuth',
		oauth_type: 'oauth2',
		// nothing listens on port 1: a refresh the fuzz triggers fails at once, offline
		oauth_token_url: 'https://127.0.0.1:1/token',
		oauth_client_id: 'fuzz-app',
		oauth_client_secret: secrets.clientSecret,
	});
	for (const id of ['acme', 'globex']) {
		await admin('POST', '/v1/clients', { id, name: id.toUpperCase() });
		await admin('PUT', `/v1/clients/${id}/connections/fuzz-key`, {
			api_key: `${secrets.apiKey}-${id}`,
		});
		await admin('PUT', `/v1/clients/${id}/connections/fuzz-login`, {
			username: 'u',
			password: `${secrets.password}-${id}`,
		});
		await admin('PUT', `/v1/clients/${id}/connections/fuzz-oauth`, {
			access_token: `${secrets.accessToken}-${id}`,
			refresh_token: `${secrets.refreshToken}-${id}`,
			expires_in: 86_400,
		});
	}
	const token = (payload: object) => admin('POST', '/v1/tokens', payload);
	const limited = await token({ name: 'acme only', scope: 'read', clients: ['acme'] });
	const expired = await token({ name: 'expired', scope: 'admin', expires_in_days: 1 });
	await vault.database.db.query(
		`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`,
		[expired.id],
	);
	const revoked = await token({ name: 'revoked', scope: 'admin' });
	await admin('DELETE', `/v1/tokens/${revoked.id}`);
	return { limited: limited.token, expired: expired.token, revoked: revoked.token };
}

/** The seeded secrets and every credential of the vault itself, as they would appear in text. */
export function allSecrets(tokens: FuzzTokens): string[] {
	return [
		...Object.values(SEEDED_SECRETS),
		ADMIN_TOKEN,
		INTERNAL_TOKEN,
		TEST_MASTER_KEY,
		tokens.limited,
		tokens.expired,
		tokens.revoked,
	];
}
