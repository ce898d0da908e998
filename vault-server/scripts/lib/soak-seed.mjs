// Seeds the soak's vault over its own API.
import { randomBytes } from 'node:crypto';

/** One admin API call; throws on a refusal. */
export async function call(vault, method, path, body, token) {
	const response = await fetch(`${vault.url}${path}`, {
		method,
		headers: {
			authorization: `Bearer ${token}`,
			...(body ? { 'content-type': 'application/json' } : {}),
		},
		body: body ? JSON.stringify(body) : undefined,
	});
	if (!response.ok)
		throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
	return response.headers.get('content-type')?.includes('json') ? response.json() : response.text();
}

/**
 * A service of each kind and `clients` clients, each with an OAuth2 connection whose token lives
 * 90 s (renewed 60 s ahead by the refresher, so about every 30 s) and an API key.
 */
export async function seed(vault, provider, { clients, adminToken }) {
	const admin = (method, path, body) => call(vault, method, path, body, adminToken);
	await admin('POST', '/v1/services', {
		name: 'soak-crm',
		display_name: 'Soak CRM',
		oauth_type: 'oauth2',
		oauth_token_url: provider.tokenUrl,
		oauth_client_id: 'vault-app',
		oauth_client_secret: 'vault-app-secret',
	});
	await admin('POST', '/v1/services', {
		name: 'soak-key',
		display_name: 'Key',
		oauth_type: 'api_key',
	});
	for (let i = 0; i < clients; i += 1) {
		const id = `soak-${String(i).padStart(4, '0')}`;
		await admin('POST', '/v1/clients', { id, name: id });
		await admin('PUT', `/v1/clients/${id}/connections/soak-crm`, {
			access_token: randomBytes(24).toString('hex'),
			refresh_token: randomBytes(24).toString('hex'),
			expires_in: 90,
		});
		await admin('PUT', `/v1/clients/${id}/connections/soak-key`, {
			api_key: randomBytes(24).toString('hex'),
		});
	}
}
