import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { WAIT_BOUND } from './helpers/bounds.js';
import { startServe, type ServeProcess } from './helpers/cli.js';
import { createPostgresDatabase, hasTestPostgres } from './helpers/databases.js';
import { solidPng } from './helpers/png.js';
import { TestProvider } from './helpers/test-provider.js';
import { ADMIN_TOKEN, INTERNAL_TOKEN, TEST_MASTER_KEY } from './helpers/vault-app.js';
import {
	freePort,
	hasChromium,
	launchChromium,
	seriousViolations,
} from './helpers/console-browser.js';

// what the vault holds and no page may show
const SECRETS = {
	access: 'console-seed-access-token-7d41c9e2a8b3',
	refresh: 'console-seed-refresh-token-55af0c1e9d27',
	otherAccess: 'console-seed-other-access-c3b8e1f04a96',
	appSecret: 'vault-app-secret',
	newAppSecret: 'console-billing-app-secret-2f9c51e0b7d4',
};
// a client name and an error text that would run script if a page parsed them as HTML
const HOSTILE_NAME = '<img src=x onerror="document.title=1">Acme & <b>Co</b>';
const HOSTILE_ERROR = '<script>document.title=2</script>invalid_grant (HTTP 400)';
// the agency's logo: a real PNG, made by the test
const LOGO = solidPng(120, 36, [51, 65, 85]);
const SCREENSHOTS = fileURLToPath(new URL('../../docs/console/', import.meta.url));
const shoot = process.env.UPDATE_SCREENSHOTS === '1';
// a page's answer on a busy 2-core machine: polled within the shared bound, never timed
const poll = <T>(read: () => Promise<T>) => expect.poll(read, WAIT_BOUND);

const targets = [
	'embedded',
	...(hasTestPostgres('the console browser tests on PostgreSQL') ? ['postgres'] : []),
];

describe.skipIf(!hasChromium()).each(targets)('the console in Chromium, vault on %s', (target) => {
	let provider: TestProvider;
	let serve: ServeProcess;
	let browser: Browser;
	let context: BrowserContext | undefined;
	let dataDir: string;
	let database: { url: string; drop(): Promise<void> } | undefined;
	let url: string;

	const admin = async (method: string, path: string, body?: unknown) => {
		const response = await fetch(`${url}${path}`, {
			method,
			headers: {
				authorization: `Bearer ${ADMIN_TOKEN}`,
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status}`);
		return response.status === 204
			? undefined
			: ((await response.json()) as Record<string, unknown>);
	};

	const newPage = async (viewport = { width: 1280, height: 800 }): Promise<Page> => {
		context = await browser.newContext({ viewport });
		return context.newPage();
	};
	const signIn = async (page: Page, token = ADMIN_TOKEN) => {
		await page.goto(`${url}/console/`);
		await page.getByLabel('Admin token').fill(token);
		await page.getByRole('button', { name: 'Sign in' }).click();
	};
	const expectNoSecret = async (page: Page) => {
		const html = await page.content();
		const text = await page.locator('body').innerText();
		for (const secret of [...Object.values(SECRETS), ADMIN_TOKEN, INTERNAL_TOKEN]) {
			expect(html).not.toContain(secret);
			expect(text).not.toContain(secret);
		}
		// escaped, not parsed: no element the hostile values carry exists (the uploaded logo, from
		// the vault's own path, is the one image a page may show), and no handler ran
		expect(
			await page.locator('img:not([src^="/branding/logo?"]), b, i, script:not([src])').count(),
		).toBe(0);
		expect(await page.title()).toBe('Otobot Vault console');
	};
	const checkPage = async (page: Page, name: string) => {
		await expectNoSecret(page);
		expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
		if (shoot && target === 'embedded') {
			mkdirSync(SCREENSHOTS, { recursive: true });
			await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
		}
	};

	beforeAll(async () => {
		provider = await TestProvider.start();
		dataDir = mkdtempSync(join(tmpdir(), 'otobot-console-'));
		const port = await freePort();
		if (target === 'postgres') database = await createPostgresDatabase();
		serve = await startServe({
			HOST: '127.0.0.1',
			PORT: String(port),
			PUBLIC_URL: `http://127.0.0.1:${port}`,
			VAULT_DATA_DIR: dataDir,
			ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
			ADMIN_API_TOKEN: ADMIN_TOKEN,
			INTERNAL_API_TOKEN: INTERNAL_TOKEN,
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			// the alert evaluator runs beside the refresher: the failed refresh of acme/crm (below, or
			// the refresher's own, whichever comes first: invalid_grant either way) opens a
			// refresh_failing alert at the next evaluation
			REFRESHER_ENABLED: 'true',
			ALERT_EVALUATION_INTERVAL_SECONDS: '2',
			ALERT_REFRESH_FAILURES: '0',
			...(database ? { DATABASE_URL: database.url } : {}),
		});
		url = serve.url;

		await admin('POST', '/v1/clients', { id: 'acme', name: HOSTILE_NAME });
		for (const name of ['crm', 'mail']) {
			await admin('POST', '/v1/services', {
				name,
				display_name: `<i>${name}</i>`,
				oauth_type: 'oauth2',
				oauth_authorization_url: `${provider.baseUrl}/authorize`,
				oauth_token_url: provider.tokenUrl,
				oauth_client_id: 'vault-app',
				oauth_client_secret: SECRETS.appSecret,
			});
		}
		await admin('PUT', '/v1/clients/acme/connections/crm', {
			access_token: SECRETS.access,
			refresh_token: SECRETS.refresh,
			expires_in: 60,
		});
		await admin('PUT', '/v1/clients/acme/connections/mail', {
			access_token: SECRETS.otherAccess,
			expires_in: 86_400,
		});
		// the provider does not know this refresh token: invalid_grant, so needs_reauth
		await fetch(`${url}/v1/credentials/acme/crm/refresh`, {
			method: 'POST',
			headers: { authorization: `Bearer ${INTERNAL_TOKEN}`, 'x-n8n-workflow-id': 'wf-console' },
		});
		if (database) {
			const sql = postgres(database.url, { max: 1, onnotice: () => {} });
			await sql`UPDATE connections SET last_error = ${HOSTILE_ERROR} WHERE service = 'crm'`;
			await sql.end();
		}
		browser = await launchChromium();
	});

	afterEach(async () => {
		await context?.close();
		context = undefined;
	});

	afterAll(async () => {
		await browser?.close();
		await serve?.stop();
		await provider?.stop();
		await database?.drop();
		if (dataDir) rmSync(dataDir, { recursive: true, force: true });
	});

	it('signs in, sees needs_reauth on the overview and the client, creates a link and opens it, revokes another, signs out', async () => {
		const page = await newPage();
		await page.goto(`${url}/console/`);
		await checkPage(page, 'sign-in');
		await signIn(page);
		await poll(() => page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
		const flagged = page.getByRole('region', { name: 'Connections needing re-authorisation' });
		await poll(() => flagged.getByText('needs_reauth').count()).toBe(1);
		expect(await flagged.getByText('Needs reconnecting').count()).toBe(1);
		await checkPage(page, 'overview');

		// another link, made through the API, to revoke from the console
		await admin('POST', '/v1/connect-links', { client_id: 'acme', service: 'mail' });

		await flagged.getByRole('link', { name: 'acme' }).click();
		await poll(() => page.getByRole('heading', { name: HOSTILE_NAME }).isVisible()).toBe(true);
		const crmRow = page.getByRole('row').filter({ hasText: 'crm' }).first();
		expect(await crmRow.getByText('needs_reauth').count()).toBe(1);
		await page.getByRole('button', { name: 'Create reconnect link for crm' }).click();
		const link = page.getByLabel('Reconnect link for crm', { exact: true });
		await poll(() => link.isVisible()).toBe(true);
		const linkUrl = await link.inputValue();
		expect(linkUrl).toMatch(new RegExp(`^${url}/connect/`));
		expect(await page.getByRole('button', { name: 'Copy link' }).count()).toBe(1);
		const open = page.getByRole('region', { name: 'Open reconnect links' });
		await poll(() => open.getByRole('row').count()).toBe(3);
		await checkPage(page, 'client');

		await open.getByRole('button', { name: /^Revoke the mail link/ }).click();
		await poll(() => open.getByRole('row').count()).toBe(2);
		const revoked = (await admin('GET', '/v1/connect-links?client_id=acme&service=mail')) as {
			links: { status: string }[];
		};
		expect(revoked.links.map((l) => l.status)).toEqual(['revoked']);

		// the client opens the link: the vault sends the browser on to the provider's sign-in
		const client = await context!.newPage();
		await client.goto(linkUrl);
		expect(client.url()).toMatch(new RegExp(`^${provider.baseUrl}/authorize\\?`));
		expect(new URL(client.url()).searchParams.get('client_id')).toBe('vault-app');
		await client.close();

		await page.getByRole('link', { name: 'crm' }).first().click();
		await poll(() => page.getByRole('heading', { name: 'acme / crm' }).isVisible()).toBe(true);
		const auditRows = page.getByRole('region', { name: 'Audit rows of acme / crm' });
		await poll(() => auditRows.getByText('wf-console').count()).toBeGreaterThan(0);
		await checkPage(page, 'connection');

		await page.getByRole('button', { name: 'Sign out' }).click();
		await poll(() => page.getByLabel('Admin token').isVisible()).toBe(true);
		const after = await page.request.get(`${url}/v1/clients`);
		expect(after.status()).toBe(401);
	});

	it('creates an API token, shows its value once, revokes it', async () => {
		const page = await newPage();
		await signIn(page);
		await page.getByRole('link', { name: 'API tokens', exact: true }).click();
		await poll(() => page.getByRole('heading', { name: 'API tokens' }).isVisible()).toBe(true);
		await checkPage(page, 'tokens');
		await page.getByLabel('Name').fill('<b>n8n</b> production');
		await page.getByLabel('Scope').selectOption('read');
		await page.getByRole('button', { name: 'Create token' }).click();
		const value = page.getByLabel('New token value');
		await poll(() => value.isVisible()).toBe(true);
		const token = await value.inputValue();
		expect(token).toMatch(/^ovt_/);
		const works = await fetch(`${url}/v1/clients/acme/connections`, {
			headers: { authorization: `Bearer ${token}` },
		});
		expect(works.status).toBe(200);

		await page.reload();
		await poll(() => page.getByRole('heading', { name: 'API tokens' }).isVisible()).toBe(true);
		expect(await page.content()).not.toContain(token);
		await page.getByRole('button', { name: 'Revoke token <b>n8n</b> production' }).click();
		const tokens = page.getByRole('region', { name: 'API tokens' });
		await poll(() => tokens.getByText('revoked').count()).toBe(1);
		const refused = await fetch(`${url}/v1/clients/acme/connections`, {
			headers: { authorization: `Bearer ${token}` },
		});
		expect(refused.status).toBe(401);
	});

	it('services: lists the catalog, adds a service (a 4xx shown), sets its OAuth app with a write-only secret', async () => {
		const page = await newPage();
		await signIn(page);
		await page.getByRole('navigation').getByRole('link', { name: 'Services' }).click();
		await poll(() => page.getByRole('heading', { name: 'Services', exact: true }).isVisible()).toBe(
			true,
		);
		const catalog = page.getByRole('region', { name: 'Services' });
		expect(await catalog.getByRole('link', { name: 'crm', exact: true }).count()).toBe(1);
		await checkPage(page, 'services');

		// the API's 409 is shown in the page
		await page.getByLabel('Name', { exact: true }).fill('crm');
		await page.getByLabel('Display name').fill('Duplicate');
		await page.getByRole('button', { name: 'Add service' }).click();
		await poll(() => page.getByRole('alert').innerText()).toContain("named 'crm' already exists");

		await page.getByLabel('Name', { exact: true }).fill('billing');
		await page.getByLabel('Display name').fill('Billing');
		await page.getByLabel('Type').selectOption('oauth2');
		await page.getByLabel('Authorization URL').fill(`${provider.baseUrl}/authorize`);
		await page.getByLabel('Token URL').fill(provider.tokenUrl);
		await page.getByRole('button', { name: 'Add service' }).click();
		await poll(() => page.getByRole('heading', { name: 'Billing' }).isVisible()).toBe(true);
		expect(await admin('GET', '/v1/services/billing')).toMatchObject({
			oauth_type: 'oauth2',
			has_client_secret: false,
		});

		const redirect = page.getByLabel('Redirect URL to register with the provider');
		expect(await redirect.inputValue()).toBe(`${url}/oauth/callback`);
		expect(await page.getByRole('button', { name: 'Copy redirect URL' }).count()).toBe(1);
		await page.getByLabel('Client ID').fill('billing-app');
		const secret = page.getByLabel('Client secret');
		expect(await secret.getAttribute('type')).toBe('password');
		await secret.fill(SECRETS.newAppSecret);
		await page.getByLabel('Scopes').fill('invoices.read');
		await page.getByRole('button', { name: 'Save OAuth app' }).click();
		await poll(() => page.getByRole('status').filter({ hasText: 'Saved.' }).count()).toBe(1);
		expect(await secret.inputValue()).toBe('');
		expect(await page.getByText('A client secret is set.').count()).toBe(1);
		expect(await admin('GET', '/v1/services/billing')).toMatchObject({
			oauth_client_id: 'billing-app',
			oauth_scopes: 'invoices.read',
			has_client_secret: true,
		});
		await checkPage(page, 'service');
		await page.reload();
		await poll(() => page.getByRole('heading', { name: 'Billing' }).isVisible()).toBe(true);
		expect(await page.getByLabel('Client secret').inputValue()).toBe('');
		await expectNoSecret(page);
		// a save with nothing changed sends nothing (a PATCH naming the app would clear its app_error)
		await page.getByRole('button', { name: 'Save OAuth app' }).click();
		await poll(() => page.getByRole('status').filter({ hasText: 'Nothing changed.' }).count()).toBe(
			1,
		);

		// which connections use a service: the count and links to the clients
		await page.goto(`${url}/console/#/services/crm`);
		await poll(() => page.getByText('1 connection uses this service.').count()).toBe(1);
		const connected = page.getByRole('region', { name: 'Clients connected to crm' });
		expect(await connected.getByRole('link', { name: 'acme', exact: true }).count()).toBe(1);
	});

	it('alerts: an open alert; keys: version 1, current, with its ciphertext count', async () => {
		// the evaluator opens refresh_failing for acme/crm within its 2 s interval
		await poll(async () => {
			const { alerts } = (await admin('GET', '/v1/alerts?status=open')) as {
				alerts: { rule: string }[];
			};
			return alerts.map((alert) => alert.rule);
		}).toContain('refresh_failing');
		const page = await newPage();
		await signIn(page);
		await poll(() => page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
		await page.getByRole('navigation').getByRole('link', { name: 'Alerts' }).click();
		await poll(() => page.getByRole('heading', { name: 'Alerts', exact: true }).isVisible()).toBe(
			true,
		);
		const open = page.getByRole('region', { name: 'Open alerts' });
		const alertRow = open.getByRole('row').filter({ hasText: 'refresh_failing' });
		expect(await alertRow.count()).toBe(1);
		expect(await alertRow.getByRole('link', { name: 'acme/crm' }).count()).toBe(1);
		expect(await page.getByRole('heading', { name: 'Resolved alerts' }).count()).toBe(1);
		await checkPage(page, 'alerts');

		const keys = (await admin('GET', '/v1/keys')) as { keys: { ciphertexts: number }[] };
		await page.getByRole('navigation').getByRole('link', { name: 'Keys' }).click();
		await poll(() => page.getByRole('heading', { name: 'Keys', exact: true }).isVisible()).toBe(
			true,
		);
		const versions = page.getByRole('region', { name: 'Key versions' });
		const first = versions.getByRole('row').nth(1);
		expect(await first.getByRole('cell').allInnerTexts()).toEqual([
			'1',
			'active Seals new secrets',
			'current',
			expect.any(String),
			String(keys.keys[0]!.ciphertexts),
			expect.stringContaining('connections: '),
		]);
		expect(await page.getByText('Every ciphertext is under the active version.').count()).toBe(1);
		await checkPage(page, 'keys');
	});

	it('every page: no secret, no parsed hostile value, no serious or critical axe violation; a phone width too', async () => {
		const page = await newPage();
		await signIn(page);
		await poll(() => page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
		const pages: [string, string, string][] = [
			['clients', '#/clients', 'Clients'],
			['needs-reauth', '#/attention/needs_reauth', 'Connections needing re-authorisation'],
			['alerts', '#/alerts', 'Alerts'],
			// the services carry a display name of markup (`<i>crm</i>`): shown as text, never parsed
			['services', '#/services', 'Services'],
			['service', '#/services/crm', '<i>crm</i>'],
			['keys', '#/keys', 'Keys'],
			['audit', '#/audit', 'Audit log'],
			['branding', '#/branding', 'Branding'],
		];
		for (const [name, hash, heading] of pages) {
			await page.goto(`${url}/console/${hash}`);
			await poll(() => page.getByRole('heading', { name: heading, exact: true }).isVisible()).toBe(
				true,
			);
			await checkPage(page, name);
		}
		await page.goto(`${url}/console/#/clients`);
		await page.getByLabel('Search clients').fill('ACM');
		await page.getByRole('button', { name: 'Search' }).click();
		await poll(() => page.getByRole('link', { name: 'acme' }).count()).toBe(1);
		await page.getByLabel('Search clients').fill('nobody');
		await page.getByRole('button', { name: 'Search' }).click();
		await poll(() => page.getByText('No client matches').count()).toBe(1);

		const phone = await context!.newPage();
		await phone.setViewportSize({ width: 390, height: 844 });
		await phone.goto(`${url}/console/#/clients/acme`);
		await poll(() => phone.getByRole('heading', { name: HOSTILE_NAME }).isVisible()).toBe(true);
		expect(await seriousViolations(phone)).toEqual([]);
		// the page does not scroll sideways; wide tables scroll in their own region
		expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
			390,
		);
		if (shoot && target === 'embedded') {
			await phone.screenshot({ path: join(SCREENSHOTS, 'client-phone.png'), fullPage: true });
		}
		// every other page at the same width: usable, and no sideways scroll of the whole page
		for (const [hash, heading] of [
			['#/services', 'Services'],
			['#/services/crm', '<i>crm</i>'],
			['#/alerts', 'Alerts'],
			['#/keys', 'Keys'],
			['#/audit', 'Audit log'],
			['#/branding', 'Branding'],
			['#/tokens', 'API tokens'],
		] as const) {
			await phone.goto(`${url}/console/${hash}`);
			await poll(() => phone.getByRole('heading', { name: heading, exact: true }).isVisible()).toBe(
				true,
			);
			expect(await seriousViolations(phone), `axe on ${hash} at 390 px`).toEqual([]);
			expect(
				await phone.evaluate(() => document.documentElement.scrollWidth),
				`${hash} at 390 px`,
			).toBeLessThanOrEqual(390);
		}
	});

	it('audit: searches by workflow id, pages with Older (Back returns), exports the search as CSV; a connection pages its rows by cursor', async () => {
		// 12 fetches by one workflow, 18 by another, all of acme/mail: more than one page of each view
		const fetchAs = (workflow: string, execution: string) =>
			fetch(`${url}/v1/credentials/acme/mail`, {
				headers: {
					authorization: `Bearer ${INTERNAL_TOKEN}`,
					'x-n8n-workflow-id': workflow,
					'x-n8n-execution-id': execution,
				},
			}).then((response) => expect(response.status).toBe(200));
		for (let i = 0; i < 12; i++) await fetchAs('wf-audit-search', `run-${i}`);
		for (let i = 0; i < 18; i++) await fetchAs('wf-other', `other-${i}`);

		const page = await newPage();
		await signIn(page);
		await poll(() => page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
		await page.getByRole('navigation').getByRole('link', { name: 'Audit', exact: true }).click();
		await poll(() => page.getByRole('heading', { name: 'Audit log' }).isVisible()).toBe(true);
		await page.getByLabel('Workflow id').fill('wf-audit-search');
		await page.getByLabel('Rows per page').selectOption('10');
		await page.getByRole('button', { name: 'Search' }).click();
		const results = page.getByRole('region', { name: 'Audit rows found' });
		// a header row and 10 rows, every one of the workflow searched
		await poll(() => results.getByRole('row').count()).toBe(11);
		expect(await results.getByText('wf-audit-search').count()).toBe(10);
		expect(await results.getByText('wf-other').count()).toBe(0);
		expect(new URL(page.url()).hash).toContain('workflow_id=wf-audit-search');
		await checkPage(page, 'audit');

		await page.getByRole('link', { name: 'Older' }).click();
		await poll(() => results.getByRole('row').count()).toBe(3);
		expect(await results.getByText('wf-audit-search').count()).toBe(2);
		expect(new URL(page.url()).hash).toMatch(/before_id=\d+/);
		expect(await page.getByRole('link', { name: 'Older' }).count()).toBe(0);
		// the search is in the URL: Back shows the first page again, with the search kept
		await page.goBack();
		await poll(() => results.getByRole('row').count()).toBe(11);
		expect(await page.getByLabel('Workflow id').inputValue()).toBe('wf-audit-search');

		// the CSV link carries the search and answers with the session cookie alone
		const csvHref = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
		expect(csvHref).toMatch(/^\/v1\/audit\.csv\?/);
		const csv = await page.request.get(`${url}${csvHref}`);
		expect(csv.status()).toBe(200);
		expect(csv.headers()['content-type']).toContain('text/csv');
		const lines = (await csv.text()).trimEnd().split('\r\n');
		expect(lines).toHaveLength(1 + 12);
		expect(lines.slice(1).every((line) => line.includes(',wf-audit-search,'))).toBe(true);

		// a connection's audit rows: 25 a page, Older by cursor, Back to the newest. Each load of
		// the page writes a connection.read row of its own, so the rows are compared by time order
		await page.goto(`${url}/console/#/clients/acme/mail`);
		const rows = page.getByRole('region', { name: 'Audit rows of acme / mail' });
		const times = () =>
			rows
				.locator('time')
				.evaluateAll((cells) => cells.map((cell) => cell.getAttribute('datetime')!));
		await poll(() => rows.getByRole('row').count()).toBe(26);
		const oldestShown = (await times()).at(-1)!;
		await page.getByRole('link', { name: 'Older' }).click();
		await poll(async () => new URL(page.url()).hash).toMatch(
			/^#\/clients\/acme\/mail\?before_id=\d+$/,
		);
		await poll(() => page.getByRole('heading', { name: 'Audit (older rows)' }).count()).toBe(1);
		const older = await times();
		expect(older.length).toBeGreaterThan(0);
		expect(older.every((time) => time <= oldestShown)).toBe(true);
		await page.goBack();
		await poll(async () => new URL(page.url()).hash).toBe('#/clients/acme/mail');
		await poll(() => rows.getByRole('row').count()).toBe(26);
		expect(await page.getByRole('link', { name: 'Older' }).count()).toBe(1);
	});

	it('branding: name and colour saved, a logo uploaded (a refused one says why), removed; a connect page carries them', async () => {
		const page = await newPage();
		await signIn(page);
		await poll(() => page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
		await page.getByRole('navigation').getByRole('link', { name: 'Branding' }).click();
		await poll(() => page.getByRole('heading', { name: 'Branding' }).isVisible()).toBe(true);
		await page.getByLabel('Agency name').fill('Northwind Studio');
		await page.getByLabel('Accent colour (#rrggbb)').fill('#0F766E');
		await page.getByRole('button', { name: 'Save name and colour' }).click();
		await poll(() => page.getByRole('status').innerText()).toContain('Saved');
		expect(await page.getByLabel('Accent colour picker').inputValue()).toBe('#0f766e');

		// bytes that are not the image their type says: the API's 415 message shown in the page
		await page.getByLabel('Logo file').setInputFiles({
			name: 'logo.png',
			mimeType: 'image/png',
			buffer: Buffer.from('GIF89a not a png'),
		});
		await page.getByRole('button', { name: 'Upload logo' }).click();
		await poll(() => page.getByRole('alert').innerText()).toContain('not a PNG, JPEG or WebP');
		// over 256 KiB: refused by the vault's body limit (413), said in the page
		const big = Buffer.alloc(300 * 1024);
		LOGO.copy(big);
		await page.getByLabel('Logo file').setInputFiles({
			name: 'big.png',
			mimeType: 'image/png',
			buffer: big,
		});
		await page.getByRole('button', { name: 'Upload logo' }).click();
		await poll(() => page.getByRole('alert').innerText()).toMatch(/too large|larger than 256 KiB/);
		await page.getByLabel('Logo file').setInputFiles({
			name: 'logo.png',
			mimeType: 'image/png',
			buffer: LOGO,
		});
		await page.getByRole('button', { name: 'Upload logo' }).click();
		const preview = page.getByRole('region', { name: 'Preview' });
		await poll(() => preview.getByRole('img', { name: 'Northwind Studio logo' }).count()).toBe(1);
		expect(await preview.getByText('Northwind Studio').count()).toBeGreaterThan(0);
		await checkPage(page, 'branding');

		// a page a client sees (an unknown link's), in the agency's name, logo and colour
		const client = await context!.newPage();
		await client.goto(`${url}/connect/no-such-link-token-0123`);
		await poll(() => client.getByRole('heading', { name: 'Link not valid' }).count()).toBe(1);
		await poll(() => client.getByText('Northwind Studio').count()).toBe(1);
		expect(await client.getByRole('img', { name: 'Northwind Studio logo' }).count()).toBe(1);
		const accent = await client
			.locator('main')
			.evaluate((main) => getComputedStyle(main).borderTopColor);
		expect(accent).toBe('rgb(15, 118, 110)');
		await client.close();

		await page.getByRole('button', { name: 'Remove logo' }).click();
		await poll(() => preview.getByRole('img').count()).toBe(0);
		const saved = (await admin('GET', '/v1/branding')) as { logo: unknown; agency_name: string };
		expect(saved).toMatchObject({ logo: null, agency_name: 'Northwind Studio' });
	});

	it('keyboard: sign in and reach the clients page without a mouse', async () => {
		const page = await newPage();
		await page.goto(`${url}/console/`);
		await page.getByLabel('Admin token').focus();
		await page.keyboard.type(ADMIN_TOKEN);
		await page.keyboard.press('Enter');
		await poll(() => page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
		const clients = page.getByRole('navigation').getByRole('link', { name: 'Clients' });
		for (
			let i = 0;
			i < 10 && !(await clients.evaluate((el) => el === document.activeElement));
			i++
		) {
			// the page's heading has the focus after sign-in: the navigation is before it
			await page.keyboard.press('Shift+Tab');
		}
		await page.keyboard.press('Enter');
		await poll(() => page.getByRole('heading', { name: 'Clients' }).isVisible()).toBe(true);
	});

	it('a read token cannot sign in', async () => {
		const page = await newPage();
		await signIn(page, INTERNAL_TOKEN);
		await poll(() => page.getByRole('alert').innerText()).toContain(
			'the console needs an admin token',
		);
		expect((await context!.cookies()).filter((c) => c.name === 'otobot_console')).toEqual([]);
	});

	it('CSRF: a change with the session cookie but without its token is refused 403 JSON', async () => {
		const page = await newPage();
		await signIn(page);
		await poll(() => page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
		const [cookie] = (await context!.cookies()).filter((c) => c.name === 'otobot_console');
		expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
		expect(await page.evaluate(() => document.cookie)).toBe('');
		const refused = await page.request.post(`${url}/v1/clients`, {
			data: { id: 'forged', name: 'Forged' },
		});
		expect(refused.status()).toBe(403);
		expect(refused.headers()['content-type']).toContain('application/json');
		expect(await refused.json()).toMatchObject({ code: 'CSRF_TOKEN_INVALID' });
		// framing: the console refuses to be shown in a frame
		const consolePage = await page.request.get(`${url}/console/`);
		expect(consolePage.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
		expect(consolePage.headers()['content-security-policy']).not.toContain('unsafe-');
		expect(consolePage.headers()['x-frame-options']).toBe('DENY');
	});

	it.runIf(target === 'postgres')(
		'a session idle past CONSOLE_SESSION_IDLE shows the sign-in form again',
		async () => {
			const page = await newPage();
			await signIn(page);
			await poll(() => page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
			const sql = postgres(database!.url, { max: 1, onnotice: () => {} });
			await sql`UPDATE console_sessions SET last_seen_at = now() - interval '8 hours 1 minute'`;
			await sql.end();
			await page.getByRole('link', { name: 'Clients' }).click();
			await poll(() => page.getByLabel('Admin token').isVisible()).toBe(true);
		},
	);
});
