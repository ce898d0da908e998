import { createServer } from 'node:net';
import { expect } from 'vitest';
import type { Backend } from './databases.js';
import { TestProvider } from './oauth-provider.js';
import { asAdmin, startTestVault, type TestVault } from './vault-app.js';

export const APP_ID = 'mock-app-id';
export const APP_SECRET = 'mock-app-secret-5f3c9a0d1e';
export const SERVICE = 'mock-crm';

/** A vault listening on real HTTP, an authorization server, and a service and clients to connect. */
export interface ConnectRig {
	vault: TestVault;
	provider: TestProvider;
	publicUrl: string;
	close(): Promise<void>;
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

export async function startConnectRig(
	backend: Backend,
	env: Record<string, string> = {},
): Promise<ConnectRig> {
	const port = await freePort();
	const publicUrl = `http://127.0.0.1:${port}`;
	const vault = await startTestVault(backend, {
		PUBLIC_URL: publicUrl,
		ALLOW_INSECURE_OAUTH_URLS: 'true',
		REFRESHER_ENABLED: 'false',
		...env,
	});
	await vault.app.listen({ host: '127.0.0.1', port });
	const provider = await TestProvider.start(APP_ID, APP_SECRET);
	// the original design's procedure for a new service, unchanged: no code knows this service
	await vault.database.db.query(
		`INSERT INTO services (name, display_name, oauth_type, oauth_authorization_url, oauth_token_url, oauth_scopes)
		 VALUES ('${SERVICE}', 'Mock CRM', 'oauth2', $1, $2, 'contacts.read contacts.write')`,
		[provider.authorizeUrl, provider.tokenUrl],
	);
	const app = await vault.app.inject({
		method: 'PATCH',
		url: `/v1/services/${SERVICE}`,
		headers: asAdmin,
		payload: { oauth_client_id: APP_ID, oauth_client_secret: APP_SECRET },
	});
	expect(app.statusCode).toBe(200);
	for (const [id, name] of [
		['acme', 'Acme <Inc> & "Co"'],
		['globex', 'Globex'],
	]) {
		await vault.app.inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id, name },
		});
	}
	return {
		vault,
		provider,
		publicUrl,
		async close() {
			await provider.stop();
			await vault.close();
		},
	};
}

export async function createLink(
	rig: ConnectRig,
	clientId: string,
	service = SERVICE,
): Promise<string> {
	const response = await fetch(`${rig.publicUrl}/v1/connect-links`, {
		method: 'POST',
		headers: { ...asAdmin, 'content-type': 'application/json' },
		body: JSON.stringify({ client_id: clientId, service }),
	});
	expect(response.status).toBe(201);
	return ((await response.json()) as { url: string }).url;
}

/** A GET as a browser's first hop: the redirect is answered, not followed. */
export const browse = (url: string | URL) => fetch(url, { redirect: 'manual' });

/** Opens a link and returns the provider URL it redirects to. */
export async function openLink(link: string): Promise<URL> {
	const response = await browse(link);
	expect(response.status).toBe(302);
	return new URL(response.headers.get('location')!);
}

/** The user approves at the provider: answers the callback URL the provider redirects to. */
export async function approve(authorizeUrl: URL): Promise<URL> {
	const response = await browse(authorizeUrl);
	expect(response.status).toBe(302);
	return new URL(response.headers.get('location')!);
}

/** Link → provider → callback, as a browser would go. */
export async function connectThroughBrowser(link: string) {
	const authorizeUrl = await openLink(link);
	const callbackUrl = await approve(authorizeUrl);
	const callback = await browse(callbackUrl);
	return { authorizeUrl, callbackUrl, callback, page: await callback.text() };
}
