import type { Keyring } from '../crypto/keyring.js';
import type { Database } from '../storage/database.js';
import { clientsStore } from '../storage/clients-store.js';
import { connectionsStore } from '../storage/connections-store.js';
import { servicesStore } from '../storage/services-store.js';
import { createClient } from './clients.js';
import { createService, type ServiceInput } from './services.js';
import { storeConnection, type ConnectionInput } from './connections.js';

export const DEMO_CLIENT_ID = 'demo-test-client';

/** Clearly fake services and credentials: nothing here reaches a real provider. */
const DEMO_SERVICES: { name: string; input: ServiceInput; connection: ConnectionInput }[] = [
	{
		name: 'demo-test-api-key',
		input: { display_name: 'Demo test API key service (TEST DATA)', oauth_type: 'api_key' },
		connection: { api_key: 'demo-test-api-key-not-a-real-secret', metadata: { test_data: true } },
	},
	{
		name: 'demo-test-login',
		input: { display_name: 'Demo test login service (TEST DATA)', oauth_type: 'basic' },
		connection: {
			username: 'demo-user',
			password: 'demo-test-password-not-real',
			metadata: { test_data: true },
		},
	},
	{
		name: 'demo-test-oauth',
		input: {
			display_name: 'Demo test OAuth2 service (TEST DATA)',
			oauth_type: 'oauth2',
			oauth_authorization_url: 'https://demo-test.invalid/oauth/authorize',
			oauth_token_url: 'https://demo-test.invalid/oauth/token',
			oauth_scopes: 'demo.read',
		},
		connection: {
			access_token: 'demo-test-access-token-not-real',
			expires_in: 365 * 86_400,
			scopes: ['demo.read'],
			metadata: { test_data: true },
		},
	},
];

export interface DemoDataReport {
	created: string[];
	/** What was there but pointed at another address of the vault: its test_url now `selfUrl`. */
	updated: string[];
	existing: string[];
}

/**
 * Inserts the demo client, services and connections that are missing; what exists is left as is,
 * but a demo service's test_url made for another address is set to this one. Each demo service's
 * test_url is the vault's own GET /health at `selfUrl` (where it answers on this machine), so
 * `test-connections` can check the demo connections offline, with no provider involved.
 */
export async function insertDemoData(
	db: Database,
	keyring: Keyring,
	selfUrl: string,
): Promise<DemoDataReport> {
	const report: DemoDataReport = { created: [], updated: [], existing: [] };
	const note = (done: boolean, what: string) =>
		(done ? report.created : report.existing).push(what);
	const clientExists = Boolean(await clientsStore(db).get(DEMO_CLIENT_ID));
	if (!clientExists)
		await createClient(db, { id: DEMO_CLIENT_ID, name: 'Demo test client (TEST DATA)' });
	note(!clientExists, `client ${DEMO_CLIENT_ID}`);
	for (const demo of DEMO_SERVICES) {
		const service = await servicesStore(db).get(demo.name);
		const testUrl = `${selfUrl}/health`;
		// http only for the vault's own address (a local vault's apiUrl is http://127.0.0.1:PORT)
		if (!service)
			await createService(
				db,
				keyring,
				demo.name,
				{ ...demo.input, test_url: testUrl },
				{ allowInsecureUrls: true },
			);
		if (service && service.test_url !== testUrl) {
			// inserted while the vault answered elsewhere (another PORT, `serve --port`)
			await servicesStore(db).update(demo.name, { test_url: testUrl });
			report.updated.push(`service ${demo.name} (test_url now ${testUrl})`);
		} else note(!service, `service ${demo.name}`);
		const connectionExists = Boolean(await connectionsStore(db).get(DEMO_CLIENT_ID, demo.name));
		if (!connectionExists)
			await storeConnection(db, keyring, DEMO_CLIENT_ID, demo.name, demo.connection);
		note(!connectionExists, `connection ${DEMO_CLIENT_ID}/${demo.name}`);
	}
	return report;
}

/** Deletes the demo client (with its connections) and the demo services. */
export async function removeDemoData(db: Database): Promise<string[]> {
	const removed: string[] = [];
	if (await clientsStore(db).delete(DEMO_CLIENT_ID))
		removed.push(`client ${DEMO_CLIENT_ID} and its connections`);
	for (const demo of DEMO_SERVICES) {
		if ((await servicesStore(db).countConnections(demo.name)) > 0) continue;
		if (await servicesStore(db).delete(demo.name)) removed.push(`service ${demo.name}`);
	}
	return removed;
}

export const DEMO_SERVICE_NAMES = DEMO_SERVICES.map((demo) => demo.name);
