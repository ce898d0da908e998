import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../src/storage/migrations.js';
import { migrationsDirectory } from '../src/storage/sql-directory.js';
import type { ServiceRow } from '../src/storage/services-store.js';
import { backends, openTestDatabase } from './helpers/databases.js';
import { asAdmin, asInternal, startTestVault, type TestVault } from './helpers/vault-app.js';

const OAUTH = [
	'google',
	'microsoft',
	'slack',
	'hubspot',
	'salesforce',
	'notion',
	'github',
	'airtable',
	'dropbox',
	'zoom',
	'pipedrive',
	'xero',
	'quickbooks',
	'linkedin',
	'calendly',
	'zoho',
];
const API_KEY = ['openai', 'stripe', 'sendgrid', 'mailchimp', 'brevo'];

describe.each(backends())('the service catalog on %s', (backend) => {
	let vault: TestVault;
	let services: Map<string, ServiceRow>;

	beforeAll(async () => {
		vault = await startTestVault(backend);
		const rows = await vault.database.db.query<ServiceRow>('SELECT * FROM services');
		services = new Map(rows.map((row) => [row.name, row]));
	});
	afterAll(async () => vault?.close());

	it('seeds every catalog service, OAuth2 ones with https endpoints', () => {
		for (const name of OAUTH) {
			const row = services.get(name)!;
			expect(row, name).toMatchObject({ oauth_type: 'oauth2', oauth_client_id: null });
			expect(row.oauth_authorization_url, name).toMatch(/^https:\/\/[a-z0-9.-]+\//);
			expect(row.oauth_token_url, name).toMatch(/^https:\/\/[a-z0-9.-]+\//);
		}
		for (const name of API_KEY) {
			expect(services.get(name), name).toMatchObject({
				oauth_type: 'api_key',
				oauth_token_url: null,
			});
		}
	});

	it("carries each provider's quirks", () => {
		const quirks: Record<string, Partial<ServiceRow>> = {
			google: {
				authorization_params: { access_type: 'offline', prompt: 'consent' },
				oauth_token_url: 'https://oauth2.googleapis.com/token',
			},
			microsoft: {
				oauth_authorization_url: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
			},
			slack: { scope_separator: ',', oauth_token_url: 'https://slack.com/api/oauth.v2.access' },
			salesforce: { keepalive_interval_minutes: 60, default_token_lifetime_seconds: 7200 },
			notion: {
				token_auth_method: 'client_secret_basic',
				token_request_format: 'json',
				authorization_params: { owner: 'user' },
			},
			airtable: { pkce: true, token_auth_method: 'client_secret_basic' },
			dropbox: { authorization_params: { token_access_type: 'offline' } },
			zoom: { token_auth_method: 'client_secret_basic' },
			pipedrive: { token_auth_method: 'client_secret_basic' },
			xero: { token_auth_method: 'client_secret_basic' },
			quickbooks: { token_auth_method: 'client_secret_basic' },
			zoho: {
				scope_separator: ',',
				authorization_params: { access_type: 'offline', prompt: 'consent' },
			},
		};
		for (const [name, expected] of Object.entries(quirks))
			expect(services.get(name), name).toMatchObject(expected);
		expect(services.get('microsoft')!.oauth_scopes).toContain('offline_access');
		expect(services.get('xero')!.oauth_scopes).toContain('offline_access');
	});

	it("the seed's INSERT adds a service that works through the API with no code change", async () => {
		await vault.database.db.query(
			`INSERT INTO services (name, display_name, oauth_type, oauth_authorization_url, oauth_token_url, oauth_scopes)
			 VALUES ('nouveau_service', 'Nouveau Service', 'oauth2', 'https://auth.nouveau.example/authorize', 'https://auth.nouveau.example/token', 'scope1 scope2')`,
		);
		const inject = vault.app.inject.bind(vault.app);
		const shown = await inject({ url: '/v1/services/nouveau_service', headers: asAdmin });
		expect(shown.json()).toMatchObject({
			token_auth_method: 'client_secret_post',
			scope_separator: ' ',
			pkce: true,
			has_client_secret: false,
		});
		expect(
			(
				await inject({
					method: 'PATCH',
					url: '/v1/services/nouveau_service',
					headers: asAdmin,
					payload: { oauth_client_id: 'app-1', oauth_client_secret: 's3cret-app' },
				})
			).statusCode,
		).toBe(200);
		await inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'acme', name: 'Acme' },
		});

		const link = await inject({
			method: 'POST',
			url: '/v1/connect-links',
			headers: asAdmin,
			payload: { client_id: 'acme', service: 'nouveau_service' },
		});
		expect(link.statusCode).toBe(201);
		const opened = await inject({ url: new URL(link.json().url).pathname });
		expect(opened.statusCode).toBe(302);
		const location = new URL(opened.headers.location as string);
		expect(`${location.origin}${location.pathname}`).toBe('https://auth.nouveau.example/authorize');
		expect(location.searchParams.get('scope')).toBe('scope1 scope2');
		expect(location.searchParams.get('client_id')).toBe('app-1');
		expect(location.searchParams.get('code_challenge_method')).toBe('S256');

		const stored = await inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/nouveau_service',
			headers: asAdmin,
			payload: { access_token: 'at-1', expires_in: 3600 },
		});
		expect(stored.statusCode).toBe(201);
		expect(
			(await inject({ url: '/v1/credentials/acme/nouveau_service', headers: asInternal })).json()
				.access_token,
		).toBe('at-1');
	});
});

describe.each(backends())('seeding the catalog on %s', (backend) => {
	it('keeps a service an operator created before the catalog migration', async () => {
		const database = await openTestDatabase(backend);
		try {
			const migrations = readMigrations(migrationsDirectory());
			await migrate(database.db, migrations.slice(0, 1));
			await database.db.query(
				`INSERT INTO services (name, display_name, oauth_type) VALUES ('google', 'Our Google', 'oauth2')`,
			);
			await migrate(database.db, migrations);
			const rows = await database.db.query<{
				display_name: string;
				oauth_token_url: string | null;
			}>(`SELECT display_name, oauth_token_url FROM services WHERE name = 'google'`);
			expect(rows).toEqual([{ display_name: 'Our Google', oauth_token_url: null }]);
		} finally {
			await database.dispose();
		}
	});
});
