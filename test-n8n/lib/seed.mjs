// The vault's test data: two clients, Google connections, a Slack connection the test API's
// token endpoint refreshes, and a HubSpot connection whose grant it has revoked.
import { REVOKED_GRANT } from './test-api.mjs';

export const TOKENS = {
	acmeGoogle: 'ya29.acme-google-first',
	acmeGoogleRefreshed: 'ya29.acme-google-second',
	globexGoogle: 'ya29.globex-google',
};

/** Creates the service, or updates it where the vault's catalog already has one of that name. */
async function putService(vault, { name, ...fields }) {
	try {
		await vault.admin('POST', '/v1/services', { name, ...fields });
	} catch (error) {
		if (!/SERVICE_EXISTS/.test(error.message)) throw error;
		await vault.admin('PATCH', `/v1/services/${name}`, fields);
	}
}

export async function seedVault(vault, testApi) {
	await vault.admin('POST', '/v1/clients', { id: 'acme', name: 'Acme Corp' });
	await vault.admin('POST', '/v1/clients', { id: 'globex', name: 'Globex' });
	await putService(vault, {
		name: 'google',
		display_name: 'Google',
		oauth_type: 'oauth2',
	});
	await putService(vault, {
		name: 'hubspot',
		display_name: 'HubSpot',
		oauth_type: 'oauth2',
		oauth_token_url: `${testApi.url}/oauth/token`,
		oauth_client_id: 'otobot-test',
		oauth_client_secret: 'otobot-test-secret',
	});
	await putService(vault, {
		name: 'slack',
		display_name: 'Slack',
		oauth_type: 'oauth2',
		oauth_token_url: `${testApi.url}/oauth/token`,
		oauth_client_id: 'otobot-test',
		oauth_client_secret: 'otobot-test-secret',
	});
	await vault.admin('PUT', '/v1/clients/acme/connections/slack', {
		access_token: 'xoxb-before-refresh',
		refresh_token: 'slack-live-grant',
		expires_in: 3600,
	});
	await vault.admin('PUT', '/v1/clients/acme/connections/google', {
		access_token: TOKENS.acmeGoogle,
		expires_in: 3600,
	});
	await vault.admin('PUT', '/v1/clients/globex/connections/google', {
		access_token: TOKENS.globexGoogle,
		expires_in: 3600,
	});
	await vault.admin('PUT', '/v1/clients/acme/connections/hubspot', {
		access_token: 'hubspot-expired',
		refresh_token: REVOKED_GRANT,
		expires_in: 0,
	});
}
