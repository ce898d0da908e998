import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/domain/api-tokens.js';
import { logoTypeOf } from '../src/domain/branding.js';
import { backends } from './helpers/databases.js';
import { asAdmin, asInternal } from './helpers/vault-app.js';
import {
	browse,
	connectThroughBrowser,
	createLink,
	startConnectRig,
	type ConnectRig,
} from './helpers/connect-rig.js';

// a real 1x1 PNG, and the smallest headers of a JPEG and a WebP file (the check reads magic bytes)
const PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
	'base64',
);
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
const WEBP = Buffer.concat([
	Buffer.from('RIFF'),
	Buffer.from([0x1a, 0, 0, 0]),
	Buffer.from('WEBPVP8L'),
	Buffer.alloc(14),
]);
const SVG = Buffer.from(
	'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
);
const HOSTILE_NAME = `</title><script>alert(1)</script><img src=x onerror="alert('x')">&amp;`;

describe('logo type by magic bytes', () => {
	it.each([
		['a PNG', PNG, 'image/png'],
		['a JPEG', JPEG, 'image/jpeg'],
		['a WebP', WEBP, 'image/webp'],
		['an SVG', SVG, undefined],
		['HTML', Buffer.from('<!doctype html><script>alert(1)</script>'), undefined],
		['a RIFF that is not WebP (WAV)', Buffer.from('RIFF\x1a\0\0\0WAVEfmt '), undefined],
		['a PNG cut short', PNG.subarray(0, 7), undefined],
		['nothing', Buffer.alloc(0), undefined],
	])('%s is %s', (_name, bytes, type) => {
		expect(logoTypeOf(bytes)).toBe(type);
	});
});

describe.each(backends())('branding of the connect pages on %s', (backend) => {
	let rig: ConnectRig;
	const api = (
		method: 'GET' | 'PUT' | 'DELETE',
		url: string,
		body?: unknown,
		contentType?: string,
	) =>
		rig.vault.app.inject({
			method,
			url,
			headers: { ...asAdmin, ...(contentType ? { 'content-type': contentType } : {}) },
			...(body === undefined ? {} : { payload: body as string }),
		});
	const setText = (agency_name: string | null, accent_color: string | null) =>
		api('PUT', '/v1/branding', { agency_name, accent_color });
	const unknownLinkPage = () => browse(`${rig.publicUrl}/connect/${'A'.repeat(43)}`);
	const lastAuditRow = async (action: string) =>
		(
			await rig.vault.database.db.query<{ details: Record<string, unknown>; status_code: number }>(
				'SELECT details, status_code FROM audit_log WHERE action = $1 ORDER BY id DESC LIMIT 1',
				[action],
			)
		)[0];

	beforeAll(async () => {
		rig = await startConnectRig(backend);
	});
	afterAll(async () => rig?.close());

	it('is unset at first, and the pages are plain but styled', async () => {
		const read = await api('GET', '/v1/branding');
		expect(read.json()).toEqual({
			agency_name: null,
			accent_color: null,
			logo: null,
			updated_at: null,
		});
		const page = await unknownLinkPage();
		const html = await page.text();
		expect(html).toContain('<link rel="stylesheet" href="/branding/page.css?v=2563eb">');
		expect(html).not.toContain('<img');
		expect(html).not.toContain('class="agency"');
	});

	it('sets the name and colour, audited, and refuses a colour that is not #rrggbb', async () => {
		const saved = await setText('Northwind Automation', '#0F766E');
		expect(saved.statusCode).toBe(200);
		expect(saved.json()).toMatchObject({
			agency_name: 'Northwind Automation',
			accent_color: '#0f766e',
			logo: null,
		});
		expect(await lastAuditRow('branding.update')).toEqual({
			status_code: 200,
			details: { agency_name: 'Northwind Automation', accent_color: '#0F766E' },
		});
		for (const [name, color] of [
			['x', 'red'],
			['x', '#0f766'],
			['x', '#0f766e;}body{display:none'],
			['x', 'url(https://evil.example/)'],
			['', '#000000'],
			['a'.repeat(101), '#000000'],
			['line\nbreak', '#000000'],
		]) {
			const refused = await setText(name!, color!);
			expect(refused.statusCode, `${name} ${color}`).toBe(400);
			expect(refused.json().code).toBe('VALIDATION_FAILED');
		}
		const extra = await api('PUT', '/v1/branding', {
			agency_name: 'x',
			accent_color: null,
			css: 'x',
		});
		expect(extra.statusCode).toBe(400);
		expect((await api('GET', '/v1/branding')).json().accent_color).toBe('#0f766e');
		const read = await rig.vault.app.inject({ url: '/v1/branding', headers: asInternal });
		expect(read.statusCode).toBe(403);
	});

	it('takes PNG, JPEG and WebP logos by their bytes and serves them with their type', async () => {
		for (const [bytes, type] of [
			[JPEG, 'image/jpeg'],
			[WEBP, 'image/webp'],
			[PNG, 'image/png'],
		] as const) {
			const saved = await api('PUT', '/v1/branding/logo', bytes, type);
			expect(saved.statusCode, saved.body).toBe(200);
			expect(saved.json().logo).toMatchObject({ content_type: type, bytes: bytes.length });
		}
		const { logo } = (await api('GET', '/v1/branding')).json();
		expect(logo.url).toMatch(/^\/branding\/logo\?v=[0-9a-f]{16}$/);
		expect(await lastAuditRow('branding.logo.replace')).toEqual({
			status_code: 200,
			details: { content_type: 'image/png', bytes: PNG.length, sha256: logo.sha256 },
		});

		const served = await fetch(`${rig.publicUrl}${logo.url}`);
		expect(served.status).toBe(200);
		expect(served.headers.get('content-type')).toBe('image/png');
		expect(served.headers.get('x-content-type-options')).toBe('nosniff');
		expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
		expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
		const unversioned = await fetch(`${rig.publicUrl}/branding/logo`);
		expect(unversioned.headers.get('cache-control')).toBe('public, max-age=60');
		const etag = unversioned.headers.get('etag')!;
		expect(etag).toBe(`"${logo.sha256}"`);
		const again = await fetch(`${rig.publicUrl}/branding/logo`, {
			headers: { 'if-none-match': etag },
		});
		expect(again.status).toBe(304);
	});

	it.each([
		['an SVG', SVG, 'image/svg+xml', 415, 'UNSUPPORTED_MEDIA_TYPE'],
		['an SVG called a PNG', SVG, 'image/png', 415, 'LOGO_NOT_ACCEPTED'],
		[
			'HTML called a JPEG',
			Buffer.from('<html><script>alert(1)</script>'),
			'image/jpeg',
			415,
			'LOGO_NOT_ACCEPTED',
		],
		['a PNG called a JPEG', PNG, 'image/jpeg', 415, 'LOGO_NOT_ACCEPTED'],
		['an empty body', Buffer.alloc(0), 'image/png', 415, 'LOGO_NOT_ACCEPTED'],
		['JSON', JSON.stringify({ logo: 'x' }), 'application/json', 415, 'UNSUPPORTED_MEDIA_TYPE'],
		['text', 'hello', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
		[
			'a PNG of 256 KiB and a byte',
			Buffer.concat([PNG, Buffer.alloc(262_145 - PNG.length)]),
			'image/png',
			413,
			'PAYLOAD_TOO_LARGE',
		],
	])('refuses %s as the logo, keeping the logo it had', async (_name, body, type, status, code) => {
		const before = (await api('GET', '/v1/branding')).json().logo;
		const refused = await api('PUT', '/v1/branding/logo', body, type);
		expect(refused.statusCode).toBe(status);
		expect(refused.headers['content-type']).toMatch(/^application\/json/);
		expect(refused.json().code).toBe(code);
		expect((await api('GET', '/v1/branding')).json().logo).toEqual(before);
	});

	it('takes a logo of exactly 256 KiB', async () => {
		const largest = Buffer.concat([PNG, Buffer.alloc(262_144 - PNG.length)]);
		const saved = await api('PUT', '/v1/branding/logo', largest, 'image/png');
		expect(saved.statusCode).toBe(200);
		expect((await api('PUT', '/v1/branding/logo', PNG, 'image/png')).statusCode).toBe(200);
	});

	it('shows the name, logo and colour on the error, expired and success pages', async () => {
		const { logo } = (await api('GET', '/v1/branding')).json();
		const header = `<header><img src="${logo.url}" alt="Northwind Automation logo"><span class="agency">Northwind Automation</span></header>`;
		const expectBranded = (response: Response, html: string) => {
			expect(html).toContain(header);
			expect(html).toContain('<link rel="stylesheet" href="/branding/page.css?v=0f766e">');
			expect(html).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
			const policy = response.headers.get('content-security-policy')!;
			expect(policy).toContain("style-src 'self'");
			expect(policy).toContain("img-src 'self'");
			expect(policy).toContain("frame-ancestors 'none'");
			expect(policy).not.toContain('unsafe-inline');
			expect(policy).not.toContain('script-src');
		};

		const unknown = await unknownLinkPage();
		expect(unknown.status).toBe(404);
		const unknownHtml = await unknown.text();
		expectBranded(unknown, unknownHtml);
		expect(unknownHtml).toContain('<main class="error">');
		expect(unknownHtml).toContain('<title>Link not valid · Northwind Automation</title>');

		const link = await createLink(rig, 'acme');
		const { callback, page } = await connectThroughBrowser(link);
		expect(callback.status).toBe(200);
		expectBranded(callback, page);
		expect(page).toContain('<main class="success">');
		// the client's name is escaped as before
		expect(page).toContain('Mock CRM connected for Acme &lt;Inc&gt; &amp; &quot;Co&quot;');

		const expiring = await createLink(rig, 'globex');
		await rig.vault.database.db.query(
			`UPDATE connect_links SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
			[hashToken(new URL(expiring).pathname.split('/').at(-1)!)],
		);
		const expired = await browse(expiring);
		expect(expired.status).toBe(410);
		const expiredHtml = await expired.text();
		expectBranded(expired, expiredHtml);
		expect(expiredHtml).toContain('<h1>Link expired</h1>');

		const css = await fetch(`${rig.publicUrl}/branding/page.css?v=0f766e`);
		expect(css.status).toBe(200);
		expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
		expect(css.headers.get('x-content-type-options')).toBe('nosniff');
		expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
		expect(await css.text()).toContain('--accent:#0f766e;');
		const stale = await fetch(`${rig.publicUrl}/branding/page.css?v=2563eb`);
		expect(stale.headers.get('cache-control')).toBe('public, max-age=60');
		const bad = await fetch(`${rig.publicUrl}/branding/page.css?v=</style>`);
		expect(bad.status).toBe(400);
	});

	it('escapes a hostile agency name everywhere it is printed', async () => {
		expect((await setText(HOSTILE_NAME, '#123abc')).statusCode).toBe(200);
		const html = await (await unknownLinkPage()).text();
		expect(html).not.toContain('<script');
		expect(html).not.toContain('<img src=x');
		expect(html).not.toContain('</title><');
		const escaped =
			'&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;amp;';
		expect(html).toContain(`<span class="agency">${escaped}</span>`);
		expect(html).toContain(`alt="${escaped} logo"`);
		expect(html).toContain(`<title>Link not valid · ${escaped}</title>`);
	});

	it('removes the logo: the pages show the name alone and the logo URL answers 404', async () => {
		expect((await setText('Northwind Automation', null)).statusCode).toBe(200);
		const removed = await api('DELETE', '/v1/branding/logo');
		expect(removed.statusCode).toBe(200);
		expect(removed.json().logo).toBeNull();
		expect((await lastAuditRow('branding.logo.delete'))?.status_code).toBe(200);
		const gone = await fetch(`${rig.publicUrl}/branding/logo`);
		expect(gone.status).toBe(404);
		expect((await gone.json()).code).toBe('LOGO_NOT_FOUND');
		const html = await (await unknownLinkPage()).text();
		expect(html).toContain('<header><span class="agency">Northwind Automation</span></header>');
		expect(html).toContain('href="/branding/page.css?v=2563eb"');
	});
});
