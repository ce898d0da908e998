import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/databases.js';
import { asAdmin, asInternal } from './helpers/vault-app.js';
import {
	SERVICE,
	approve,
	browse,
	connectThroughBrowser,
	createLink,
	openLink,
	startConnectRig,
	type ConnectRig,
} from './helpers/connect-rig.js';

interface LinkInfo {
	id: string;
	client_id: string;
	service: string;
	status: string;
	revoked_at: string | null;
	revoked_reason: string | null;
}

describe.each(backends())('revocable, race-free connect links on %s', (backend) => {
	let rig: ConnectRig;
	const admin = (method: string, url: string, payload?: unknown) =>
		rig.vault.app.inject({ method, url, headers: asAdmin, ...(payload ? { payload } : {}) });
	const links = async (query: string) => {
		const answer = await admin('GET', `/v1/connect-links?${query}`);
		expect(answer.statusCode).toBe(200);
		return answer.json() as { links: LinkInfo[]; next_after: string | null };
	};
	/** The id of the newest link of `clientId` (the API never shows a link's token). */
	const newestLinkId = async (clientId: string) =>
		(await links(`client_id=${clientId}&limit=1`)).links[0]!.id;
	const linkById = async (id: string) =>
		(await links('limit=1000')).links.find((link) => link.id === id)!;
	const credential = (clientId: string) =>
		rig.vault.app.inject({ url: `/v1/credentials/${clientId}/${SERVICE}`, headers: asInternal });

	beforeAll(async () => {
		rig = await startConnectRig(backend);
	});
	afterAll(async () => rig?.close());

	it('three concurrent callbacks of one link: one code exchange, one stored connection, the losers told "already used"', async () => {
		const link = await createLink(rig, 'acme');
		// the link opened three times (three tabs), each approved at the provider
		const callbacks = await Promise.all([1, 2, 3].map(async () => approve(await openLink(link))));
		const exchanges = rig.provider.tokenRequests.length;
		const answers = await Promise.all(callbacks.map((url) => browse(url)));
		const statuses = answers.map((answer) => answer.status).sort();
		expect(statuses).toEqual([200, 410, 410]);
		expect(rig.provider.tokenRequests.length - exchanges).toBe(1);
		for (const answer of answers.filter((a) => a.status === 410))
			expect(await answer.text()).toContain('already used');
		const stored = (await credential('acme')).json() as { access_token: string };
		expect(stored.access_token).toBe(rig.provider.issued.at(-2));
		expect((await linkById(await newestLinkId('acme'))).status).toBe('used');
	});

	it('lists links by client, service and status, a page at a time, never a token', async () => {
		const tokens = [await createLink(rig, 'globex'), await createLink(rig, 'globex')].map(
			(url) => new URL(url).pathname.split('/').at(-1)!,
		);
		const answer = await admin('GET', `/v1/connect-links?client_id=globex&service=${SERVICE}`);
		for (const token of tokens) expect(answer.body).not.toContain(token);
		const open = await links('client_id=globex&status=open');
		expect(open.links.length).toBeGreaterThanOrEqual(2);
		expect(open.links.every((l) => l.client_id === 'globex' && l.status === 'open')).toBe(true);

		const first = await links('client_id=globex&limit=1');
		expect(first.next_after).toBe(first.links[0]!.id);
		const second = await links(`client_id=globex&limit=1&after=${first.next_after}`);
		expect(second.links[0]!.id).not.toBe(first.links[0]!.id);
		expect((await links('status=used')).links.every((l) => l.status === 'used')).toBe(true);
		expect((await admin('GET', '/v1/connect-links?status=closed')).statusCode).toBe(400);
		expect((await admin('GET', '/v1/connect-links?after=not-a-uuid')).statusCode).toBe(400);
	});

	it('a revoked link says so, starts no sign-in, and its sign-in under way stores nothing', async () => {
		const link = await createLink(rig, 'globex');
		const id = await newestLinkId('globex');
		const callbackUrl = await approve(await openLink(link));

		const revoked = await admin('DELETE', `/v1/connect-links/${id}`);
		expect(revoked.statusCode).toBe(200);
		expect(revoked.json()).toMatchObject({ id, status: 'revoked', revoked_reason: 'revoked' });
		const again = await admin('DELETE', `/v1/connect-links/${id}`);
		expect(again.statusCode).toBe(200);
		expect(again.json().revoked_at).toBe(revoked.json().revoked_at);

		const page = await browse(link);
		expect(page.status).toBe(410);
		expect(page.headers.get('location')).toBeNull();
		expect(await page.text()).toContain('was revoked');

		const exchanges = rig.provider.tokenRequests.length;
		const callback = await browse(callbackUrl);
		expect(callback.status).toBe(410);
		expect(await callback.text()).toContain('was revoked');
		expect(rig.provider.tokenRequests.length).toBe(exchanges);
		expect((await credential('globex')).statusCode).toBe(404);

		const unknown = await admin('DELETE', '/v1/connect-links/00000000-0000-4000-8000-000000000000');
		expect(unknown.statusCode).toBe(404);
		expect(unknown.json().code).toBe('CONNECT_LINK_NOT_FOUND');
		expect((await admin('DELETE', '/v1/connect-links/nope')).statusCode).toBe(400);
		const audit = await rig.vault.database.db.query<{ client_id: string; status_code: number }>(
			`SELECT client_id, status_code FROM audit_log WHERE action = 'connect_link.revoke' ORDER BY id`,
		);
		expect(audit.slice(0, 2)).toEqual([
			{ client_id: 'globex', status_code: 200 },
			{ client_id: 'globex', status_code: 200 },
		]);
	});

	it('deleting the connection revokes its open links', async () => {
		await rig.vault.app.inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'initech', name: 'Initech' },
		});
		expect((await connectThroughBrowser(await createLink(rig, 'initech'))).callback.status).toBe(
			200,
		);
		const spare = await createLink(rig, 'initech');
		const id = await newestLinkId('initech');
		expect((await admin('DELETE', `/v1/clients/initech/connections/${SERVICE}`)).statusCode).toBe(
			204,
		);
		expect(await linkById(id)).toMatchObject({
			status: 'revoked',
			revoked_reason: 'connection_deleted',
		});
		expect((await browse(spare)).status).toBe(410);
	});

	it('a connection stored anew, by the API or through another link, revokes the open links', async () => {
		await rig.vault.app.inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'hooli', name: 'Hooli' },
		});
		await createLink(rig, 'hooli');
		const byApi = await newestLinkId('hooli');
		const put = await admin('PUT', `/v1/clients/hooli/connections/${SERVICE}`, {
			access_token: 'example-access-token-stored-by-an-operator',
		});
		expect(put.statusCode).toBeLessThan(300);
		expect(await linkById(byApi)).toMatchObject({
			status: 'revoked',
			revoked_reason: 'connection_stored',
		});

		const used = await createLink(rig, 'hooli');
		const spare = await createLink(rig, 'hooli');
		const spareId = await newestLinkId('hooli');
		expect((await connectThroughBrowser(used)).callback.status).toBe(200);
		expect(await linkById(spareId)).toMatchObject({ status: 'revoked' });
		expect((await browse(spare)).status).toBe(410);
	});
});
