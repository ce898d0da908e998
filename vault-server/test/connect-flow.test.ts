import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s256Challenge } from '../src/oauth/pkce.js';
import { stateIdOf, verifierContext } from '../src/domain/connect-links.js';
import { hashToken } from '../src/domain/api-tokens.js';
import { backends } from './helpers/databases.js';
import { asAdmin, asInternal } from './helpers/vault-app.js';
import {
	APP_ID,
	SERVICE,
	approve,
	browse,
	connectThroughBrowser,
	createLink,
	openLink,
	startConnectRig,
	type ConnectRig,
} from './helpers/connect-rig.js';

describe.each(backends())('the connect flow end to end on %s', (backend) => {
	let rig: ConnectRig;
	const credential = async (clientId: string) =>
		(
			await rig.vault.app.inject({
				url: `/v1/credentials/${clientId}/${SERVICE}?include_refresh_token=true`,
				headers: asAdmin,
			})
		).json();

	beforeAll(async () => {
		rig = await startConnectRig(backend);
	});
	afterAll(async () => rig?.close());

	it('sends the browser to the provider, exchanges the code with PKCE and stores the tokens', async () => {
		const link = await createLink(rig, 'acme');
		expect(link).toMatch(new RegExp(`^${rig.publicUrl}/connect/[A-Za-z0-9_-]{43}$`));
		const { authorizeUrl, callback, page } = await connectThroughBrowser(link);

		expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(rig.provider.authorizeUrl);
		const query = Object.fromEntries(authorizeUrl.searchParams);
		expect(query).toMatchObject({
			response_type: 'code',
			client_id: APP_ID,
			redirect_uri: `${rig.publicUrl}/oauth/callback`,
			scope: 'contacts.read contacts.write',
			code_challenge_method: 'S256',
		});
		expect(query.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
		expect(query.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);

		expect(callback.status).toBe(200);
		expect(callback.headers.get('content-type')).toContain('text/html');
		expect(page).toContain('Mock CRM connected for Acme &lt;Inc&gt; &amp; &quot;Co&quot;');

		const exchange = rig.provider.tokenRequests.at(-1)!;
		expect(exchange).toMatchObject({
			grant_type: 'authorization_code',
			redirect_uri: `${rig.publicUrl}/oauth/callback`,
		});
		expect(s256Challenge(exchange.code_verifier!)).toBe(query.code_challenge);

		const [accessToken, refreshToken] = rig.provider.issued.slice(-2);
		const fetched = (
			await rig.vault.app.inject({ url: `/v1/credentials/acme/${SERVICE}`, headers: asInternal })
		).json();
		expect(fetched).toMatchObject({
			type: 'oauth2',
			access_token: accessToken,
			token_type: 'Bearer',
		});
		expect(new Date(fetched.expires_at).getTime()).toBeGreaterThan(Date.now() + 3000_000);
		expect((await credential('acme')).refresh_token).toBe(refreshToken);
	});

	it('refuses the link once a connection was completed with it, and a replayed state', async () => {
		const link = await createLink(rig, 'globex');
		const first = await connectThroughBrowser(link);
		expect(first.callback.status).toBe(200);

		const again = await browse(link);
		expect(again.status).toBe(410);
		expect(again.headers.get('location')).toBeNull();
		expect(await again.text()).toContain('already used');

		const replay = await browse(first.callbackUrl);
		expect(replay.status).toBe(409);
		expect(await replay.text()).toContain('already used');
		const rows = await rig.vault.database.db.query<{
			error_code: string;
			client_id: string;
			action: string;
		}>(
			`SELECT action, error_code, client_id FROM audit_log WHERE error_code IN ('CONNECT_LINK_USED', 'OAUTH_STATE_USED') ORDER BY id`,
		);
		expect(rows).toEqual([
			{ action: 'connect.open', error_code: 'CONNECT_LINK_USED', client_id: 'globex' },
			{ action: 'oauth.callback', error_code: 'OAUTH_STATE_USED', client_id: 'globex' },
		]);
	});

	it('lets a link be opened several times until it is used', async () => {
		const link = await createLink(rig, 'acme');
		const early = await openLink(link);
		const late = await connectThroughBrowser(link);
		expect(late.callback.status).toBe(200);
		// the first opening's state now belongs to a used link
		const stale = await browse(await approve(early));
		expect(stale.status).toBe(410);
	});

	it('a provider that gets the wrong verifier, or none, refuses the code (PKCE is checked)', async () => {
		const before = await credential('globex');
		for (const tamper of ['wrong verifier', 'no verifier']) {
			const authorizeUrl = await openLink(await createLink(rig, 'globex'));
			const stateHash = hashToken(authorizeUrl.searchParams.get('state')!);
			const forged =
				tamper === 'no verifier'
					? null
					: rig.vault.vault.keyring.encrypt('x'.repeat(43), verifierContext(stateIdOf(stateHash)))
							.ciphertext;
			await rig.vault.database.db.query(
				'UPDATE oauth_states SET code_verifier_ciphertext = $2 WHERE state_hash = $1',
				[stateHash, forged],
			);
			const callback = await browse(await approve(authorizeUrl));
			expect(callback.status, tamper).toBe(502);
			expect(await callback.text()).toContain('did not hand over the tokens');
		}
		expect((await credential('globex')).access_token).toBe(before.access_token);
	});

	it('a verifier moved to another state does not decrypt', async () => {
		const first = await openLink(await createLink(rig, 'globex'));
		const second = await openLink(await createLink(rig, 'globex'));
		const [a, b] = [first, second].map((url) => hashToken(url.searchParams.get('state')!));
		await rig.vault.database.db.query(
			`UPDATE oauth_states SET code_verifier_ciphertext = (SELECT code_verifier_ciphertext FROM oauth_states WHERE state_hash = $1)
			 WHERE state_hash = $2`,
			[a, b],
		);
		const callback = await browse(await approve(second));
		expect(callback.status).toBe(500);
		const page = await callback.text();
		expect(page).toContain('Something went wrong');
		expect(page).not.toMatch(/at .*\.ts|stack/i);
	});

	it('refuses an expired link and an expired state', async () => {
		const link = await createLink(rig, 'globex');
		const token = new URL(link).pathname.split('/').at(-1)!;
		const authorizeUrl = await openLink(link);
		await rig.vault.database.db.query(
			`UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE state_hash = $1`,
			[hashToken(authorizeUrl.searchParams.get('state')!)],
		);
		const late = await browse(await approve(authorizeUrl));
		expect(late.status).toBe(410);
		expect(await late.text()).toContain('more than 10 minutes');

		await rig.vault.database.db.query(
			`UPDATE connect_links SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
			[hashToken(token)],
		);
		const expired = await browse(link);
		expect(expired.status).toBe(410);
		expect(await expired.text()).toContain('expired');
	});

	it('refuses unknown links and states with a clear page', async () => {
		const unknown = await browse(`${rig.publicUrl}/connect/${'A'.repeat(43)}`);
		expect(unknown.status).toBe(404);
		expect(await unknown.text()).toContain('This connect link is not valid');
		const malformed = await browse(`${rig.publicUrl}/connect/not*a*token`);
		expect(malformed.status).toBe(400);
		expect(malformed.headers.get('content-type')).toContain('text/html');
		for (const query of ['code=abc', 'code=abc&state=forged-state-value', '']) {
			const response = await browse(`${rig.publicUrl}/oauth/callback?${query}`);
			expect(response.status, query).toBe(400);
			expect(await response.text()).toContain('Sign-in not valid');
		}
	});

	it('shows a refusal at the provider as such, and the link stays usable', async () => {
		const link = await createLink(rig, 'acme');
		const callbackUrl = await approve(await openLink(link));
		callbackUrl.searchParams.delete('code');
		callbackUrl.searchParams.set('error', 'access_denied');
		const denied = await browse(callbackUrl);
		expect(denied.status).toBe(403);
		expect(await denied.text()).toContain('Access was not granted');
		expect((await connectThroughBrowser(link)).callback.status).toBe(200);
	});

	it("a token answer without expires_in gets the service's default_token_lifetime_seconds", async () => {
		const patched = await rig.vault.app.inject({
			method: 'PATCH',
			url: `/v1/services/${SERVICE}`,
			headers: asAdmin,
			payload: { default_token_lifetime_seconds: 1800 },
		});
		expect(patched.json()).toMatchObject({ default_token_lifetime_seconds: 1800 });
		// RFC 6749 §5.1: expires_in is optional (a Salesforce answer carries none)
		const withoutExpiry = (response: { body: unknown; statusCode: number }) => {
			if (response.statusCode === 200 && response.body && typeof response.body === 'object')
				delete (response.body as Record<string, unknown>).expires_in;
		};
		rig.provider.server.service.on('beforeResponse', withoutExpiry);
		try {
			const before = Date.now();
			const { callback } = await connectThroughBrowser(await createLink(rig, 'acme'));
			expect(callback.status).toBe(200);
			const expiresAt = new Date((await credential('acme')).expires_at).getTime();
			expect(expiresAt).toBeGreaterThanOrEqual(before + 1800_000 - 1000);
			expect(expiresAt).toBeLessThanOrEqual(Date.now() + 1800_000);
		} finally {
			rig.provider.server.service.off('beforeResponse', withoutExpiry);
		}
	});
});
