import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OtobotCredentialFetcher } from '../nodes/OtobotCredentialFetcher/OtobotCredentialFetcher.node';
import { retryAfterMs } from '../nodes/OtobotCredentialFetcher/transport/rateLimitWait';
import { executeContext, jsonOf } from './execute-context';
import { startRealVault, TOKENS, type RealVault } from './real-vault';

const fetcher = new OtobotCredentialFetcher();
const CLIENTS = 1300;
const clientId = (index: number) => `batch-client-${String(index).padStart(4, '0')}`;

async function run(
	vault: RealVault,
	operation: string,
	items: { clientId: string; service?: string }[],
	options: { continueOnFail?: boolean; maxRateLimitWait?: number; executionId?: string } = {},
) {
	const requests: string[] = [];
	const context = executeContext({
		credential: {
			vaultUrl: vault.url,
			internalToken: vault.internalToken,
			clientId: 'acme',
			service: 'google',
			otherService: '',
		},
		parameters: {
			resource: 'credential',
			operation,
			clientId: (i: number) => items[i]!.clientId,
			service: (i: number) => items[i]!.service ?? '',
			...(options.maxRateLimitWait === undefined
				? {}
				: { maxRateLimitWait: options.maxRateLimitWait }),
		},
		items: items.map((_, i) => ({ json: { i } })),
		continueOnFail: options.continueOnFail,
		executionId: options.executionId,
		requests,
	});
	return { output: await fetcher.execute.call(context), requests };
}

/** Runs `work` over `values`, `width` at a time. */
async function inParallel<T>(values: T[], width: number, work: (value: T) => Promise<unknown>) {
	const queue = [...values];
	await Promise.all(
		Array.from({ length: width }, async () => {
			for (let value = queue.shift(); value !== undefined; value = queue.shift()) await work(value);
		}),
	);
}

describe('one execution over 1,300 clients at the default rate limit', () => {
	let vault: RealVault;

	beforeAll(async () => {
		vault = await startRealVault('otobot_nodes_batch');
		// set-up through admin tokens of their own: each has the default budget of 1,200 a minute
		const tokens: string[] = [];
		for (let i = 0; i < 3; i++) {
			const created = (await vault.admin('POST', '/v1/tokens', {
				name: `seed ${i}`,
				scope: 'admin',
			})) as { token: string };
			tokens.push(created.token);
		}
		const indexes = Array.from({ length: CLIENTS }, (_, i) => i);
		await inParallel(indexes, 16, async (i) => {
			const headers = {
				authorization: `Bearer ${tokens[i % tokens.length]}`,
				'content-type': 'application/json',
			};
			const client = await fetch(`${vault.url}/v1/clients`, {
				method: 'POST',
				headers,
				body: JSON.stringify({ id: clientId(i), name: clientId(i) }),
			});
			const connection = await fetch(`${vault.url}/v1/clients/${clientId(i)}/connections/my-crm`, {
				method: 'PUT',
				headers,
				body: JSON.stringify({ api_key: `key-${clientId(i)}` }),
			});
			if (client.status !== 201 || connection.status !== 201)
				throw new Error(`set-up refused: ${client.status} ${connection.status}`);
		});
	}, 300_000);
	afterAll(async () => await vault?.stop());

	it('gives all 1,300 items their token in 3 requests, each item paired with its own', async () => {
		const items = Array.from({ length: CLIENTS }, (_, i) => ({
			clientId: clientId(i),
			service: 'my-crm',
		}));
		const { output, requests } = await run(vault, 'getAccessToken', items);
		expect(requests).toEqual(Array(3).fill(`POST ${vault.url}/v1/credentials/batch`));
		expect(output[0]).toHaveLength(CLIENTS);
		output[0]!.forEach((item, i) => {
			expect(item.pairedItem).toEqual({ item: i });
			expect(item.json).toMatchObject({
				client_id: clientId(i),
				access_token: `key-${clientId(i)}`,
				authorization_header: `Bearer key-${clientId(i)}`,
			});
		});
	});
});

describe('items that fail and a vault that says 429', () => {
	// room for the harness's set-up (admin token); the tests spend the internal token's budget
	const BUDGET = 40;
	let vault: RealVault;
	const spendBudget = async (requests: number) => {
		for (let i = 0; i < requests; i++)
			await fetch(`${vault.url}/v1/credentials/acme/google`, {
				headers: { authorization: `Bearer ${vault.internalToken}` },
			});
	};

	beforeAll(async () => {
		vault = await startRealVault('otobot_nodes_batch_429', {
			RATE_LIMIT_MAX: String(BUDGET),
			RATE_LIMIT_WINDOW: '4 seconds',
		});
	});
	afterAll(async () => await vault?.stop());

	it('keeps per-item errors, outputs and pairing when the items share a batch', async () => {
		const items = [{ clientId: 'acme' }, { clientId: 'nobody' }, { clientId: 'globex' }];
		const { output, requests } = await run(vault, 'getCredentials', items, {
			continueOnFail: true,
		});
		expect(requests).toHaveLength(1);
		expect(jsonOf(output)).toEqual([
			expect.objectContaining({ client_id: 'acme', access_token: TOKENS.acmeGoogle }),
			expect.objectContaining({ code: 'CLIENT_NOT_FOUND' }),
			expect.objectContaining({ client_id: 'globex', access_token: TOKENS.globexGoogle }),
		]);
		expect(output[0]!.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
		]);
	});

	it('waits out a 429 with Retry-After and then gets the token', async () => {
		await spendBudget(BUDGET);
		const { output, requests } = await run(vault, 'getAccessToken', [{ clientId: 'acme' }]);
		expect(requests.length).toBeGreaterThanOrEqual(2);
		expect(jsonOf(output)).toEqual([
			expect.objectContaining({ client_id: 'acme', access_token: TOKENS.acmeGoogle }),
		]);
	});

	it('waits out a 429 on a batch and then answers every item', async () => {
		await spendBudget(BUDGET);
		const items = [{ clientId: 'acme' }, { clientId: 'globex' }];
		const { output, requests } = await run(vault, 'getAccessToken', items);
		expect(requests.length).toBeGreaterThanOrEqual(2);
		expect(new Set(requests)).toEqual(new Set([`POST ${vault.url}/v1/credentials/batch`]));
		expect(jsonOf(output).map((item) => item.access_token)).toEqual([
			TOKENS.acmeGoogle,
			TOKENS.globexGoogle,
		]);
	});

	it('fails the items with RATE_LIMITED when the vault asks for longer than Max Wait', async () => {
		await spendBudget(BUDGET);
		const { output, requests } = await run(vault, 'getAccessToken', [{ clientId: 'acme' }], {
			continueOnFail: true,
			maxRateLimitWait: 0,
		});
		expect(requests).toHaveLength(1);
		expect(jsonOf(output)).toEqual([expect.objectContaining({ code: 'RATE_LIMITED' })]);
	});
});

describe('Retry-After', () => {
	it('reads seconds and an HTTP-date, and nothing else', () => {
		const now = Date.parse('2026-12-01T04:00:00Z');
		expect(retryAfterMs({ 'retry-after': '54' }, now)).toBe(54_000);
		expect(retryAfterMs({ 'retry-after': 'Tue, 01 Dec 2026 04:00:30 GMT' }, now)).toBe(30_000);
		expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
		expect(retryAfterMs({}, now)).toBeUndefined();
	});
});
