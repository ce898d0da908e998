import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from './helpers/databases.js';
import { asAdmin, startTestVault, type TestVault } from './helpers/vault-app.js';

interface Page {
	alerts: { id: number; status: string; subject: string; title: string }[];
	next_before_id: number | null;
}

// the console's Alerts page: open and resolved alerts, newest first, a keyset page at a time
describe.each(backends())('GET /v1/alerts paging on %s', (backend) => {
	let vault: TestVault;
	const ids = { open: [] as number[], resolved: [] as number[] };
	const get = async (query: string) =>
		vault.app.inject({ url: `/v1/alerts?${query}`, headers: asAdmin });
	const page = async (query: string) => {
		const answer = await get(query);
		expect(answer.statusCode, answer.body).toBe(200);
		return answer.json() as Page;
	};

	beforeAll(async () => {
		vault = await startTestVault(backend, { REFRESHER_ENABLED: 'false' });
		// alternating, so each status's ids are not one run: the keyset must skip the other's
		for (let n = 1; n <= 8; n += 1) {
			const resolved = n % 2 === 0;
			const [row] = await vault.database.db.query<{ id: number }>(
				`INSERT INTO alerts (rule, subject, client_id, service, details, status, resolved_at)
				 VALUES ('connection_unused', $1, 'acme', 'crm', '{}'::jsonb, $2, $3) RETURNING id::int AS id`,
				[`acme/crm-${n}`, resolved ? 'resolved' : 'open', resolved ? new Date() : null],
			);
			ids[resolved ? 'resolved' : 'open'].unshift(row!.id);
		}
	});
	afterAll(async () => vault?.close());

	it('pages the open alerts newest first, next_before_id null on the last page', async () => {
		const first = await page('status=open&limit=3');
		expect(first.alerts.map((alert) => alert.id)).toEqual(ids.open.slice(0, 3));
		expect(first.alerts.every((alert) => alert.status === 'open' && alert.title)).toBe(true);
		expect(first.next_before_id).toBe(ids.open[2]);
		const second = await page(`status=open&limit=3&before_id=${first.next_before_id}`);
		expect(second.alerts.map((alert) => alert.id)).toEqual(ids.open.slice(3));
		expect(second.next_before_id).toBeNull();
	});

	it('pages the resolved ones, and all of them, the same way', async () => {
		const resolved = await page('status=resolved&limit=2');
		expect(resolved.alerts.map((alert) => alert.id)).toEqual(ids.resolved.slice(0, 2));
		const rest = await page(`status=resolved&limit=2&before_id=${resolved.next_before_id}`);
		expect(rest.alerts.map((alert) => alert.id)).toEqual(ids.resolved.slice(2));
		expect(rest.next_before_id).toBeNull();
		const all = await page('status=all&limit=8');
		expect(all.alerts).toHaveLength(8);
		expect(all.next_before_id).toBeNull();
	});

	it('refuses a before_id that is no alert id (400 JSON, never 500)', async () => {
		for (const bad of ['0', '-1', 'abc', '1.5', '9007199254740993']) {
			const answer = await get(`status=open&before_id=${bad}`);
			expect(answer.statusCode, bad).toBe(400);
			expect(answer.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
		}
	});
});
