import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/databases.js';
import { asAdmin, asInternal } from './helpers/vault-app.js';
import {
	SERVICE,
	approve,
	browse,
	createLink,
	openLink,
	startConnectRig,
	type ConnectRig,
} from './helpers/connect-rig.js';

/** Attacks on the connect flow that test/connect-flow-refusals.test.ts does not already make. */
describe.each(backends())('connect flow attacks on %s', (backend) => {
	let rig: ConnectRig;
	const connection = async (clientId: string) =>
		rig.vault.app.inject({
			url: `/v1/clients/${clientId}/connections/${SERVICE}`,
			headers: asInternal,
		});

	beforeAll(async () => {
		rig = await startConnectRig(backend);
	});
	afterAll(async () => rig?.close());

	it('completes a state once when two callbacks race, and redeems its code once', async () => {
		const callbackUrl = await approve(await openLink(await createLink(rig, 'acme')));
		const exchanges = rig.provider.tokenRequests.length;
		const answers = await Promise.all([
			browse(callbackUrl),
			browse(callbackUrl),
			browse(callbackUrl),
		]);
		expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
		expect(rig.provider.tokenRequests.length - exchanges).toBe(1);
	});

	it('refuses a link token altered in any way, and the real one still works', async () => {
		const link = await createLink(rig, 'globex');
		const token = new URL(link).pathname.split('/').at(-1)!;
		const flip = (c: string) => (c === 'A' ? 'B' : 'A');
		const forgeries = [
			token.toUpperCase(),
			token.toLowerCase(),
			`${flip(token[0]!)}${token.slice(1)}`,
			`${token.slice(0, -1)}${flip(token.at(-1)!)}`,
			token.slice(0, -1),
			`${token}A`,
			`${token}.`,
			`${token}%20`,
			`${token}%00`,
			encodeURIComponent(encodeURIComponent(token)),
			`${token}%2F..%2F${token}`,
		].filter((forged) => forged !== token);
		for (const forged of forgeries) {
			const response = await browse(`${rig.publicUrl}/connect/${forged}`);
			expect(response.status, forged).toBeGreaterThanOrEqual(400);
			expect(response.status, forged).toBeLessThan(500);
			expect(response.headers.get('location'), forged).toBeNull();
			expect(response.headers.get('content-type'), forged).toMatch(/^text\/html/);
		}
		expect((await openLink(link)).origin).toBe(new URL(rig.provider.authorizeUrl).origin);
	});

	it('never redirects off the provider, whatever the path or query says', async () => {
		const link = await createLink(rig, 'acme');
		const attempts = [
			`${rig.publicUrl}//evil.example/connect/x`,
			`${rig.publicUrl}/connect/%2F%2Fevil.example`,
			`${rig.publicUrl}/connect/\\\\evil.example`,
			`${link}/..%2F..%2F%2F%2Fevil.example`,
			`${link}?redirect_uri=https://evil.example&return_to=//evil.example`,
			`${rig.publicUrl}/oauth/callback?state=x&redirect_uri=https://evil.example`,
			`${rig.publicUrl}/oauth/callback/..%2F..%2F%2F%2Fevil.example`,
		];
		for (const attempt of attempts) {
			const response = await browse(attempt);
			const location = response.headers.get('location');
			if (location) expect(location.startsWith(rig.provider.authorizeUrl), attempt).toBe(true);
			expect(await response.text(), attempt).not.toContain('evil.example');
		}
	});

	it('shows its own words, never what the provider sends back, in the error page', async () => {
		const script = '<script>alert(document.cookie)</script>';
		const state = async () =>
			(await openLink(await createLink(rig, 'acme'))).searchParams.get('state')!;
		const cases: [string, Record<string, string>, number, string][] = [
			['denied', { state: await state(), error: 'access_denied' }, 403, 'Access was not granted'],
			[
				'hostile error code',
				{ state: await state(), error: `<img src=x onerror=alert(1)>` },
				502,
				'The provider answered with an error (unreadable error), so nothing was connected',
			],
			[
				'forged state',
				{ state: 'forged-state-value', error: 'access_denied' },
				400,
				'This sign-in answer is not valid',
			],
		];
		for (const [name, query, status, words] of cases) {
			const search = new URLSearchParams({ ...query, error_description: script });
			const response = await browse(`${rig.publicUrl}/oauth/callback?${search}`);
			expect(response.status, name).toBe(status);
			const page = await response.text();
			expect(page, name).toContain(words);
			for (const sent of ['<script', '&lt;script', 'document.cookie', '<img', 'onerror'])
				expect(page, `${name}: ${sent}`).not.toContain(sent);
			expect(response.headers.get('content-security-policy'), name).toBeTruthy();
		}
	});

	it('does not bring back a client deleted between the link and the callback', async () => {
		await rig.vault.app.inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'initech', name: 'Initech' },
		});
		const callbackUrl = await approve(await openLink(await createLink(rig, 'initech')));
		const deleted = await rig.vault.app.inject({
			method: 'DELETE',
			url: '/v1/clients/initech',
			headers: asAdmin,
		});
		expect(deleted.statusCode).toBe(204);
		const response = await browse(callbackUrl);
		expect(response.status).toBeGreaterThanOrEqual(400);
		expect(response.status).toBeLessThan(500);
		expect((await connection('initech')).statusCode).toBe(404);
	});
});
