import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { backends } from './helpers/databases.js';
import { TestProvider } from './helpers/test-provider.js';
import {
	addAcmeAndCrm,
	asAdmin,
	asInternal,
	bearer,
	startTestVault,
	type TestVault,
} from './helpers/vault-app.js';

/** The vault's per-token budget here: small, so a test can spend it. */
const RATE_LIMIT_MAX = 60;

interface BatchResult {
	client_id: string;
	service: string;
	status: number;
	credential?: Record<string, unknown>;
	error?: Record<string, unknown>;
}

describe.each(backends())('credential batch on %s', (backend) => {
	let provider: TestProvider;
	let vault: TestVault;
	let execution = 0;
	const inject = (options: InjectOptions) => vault.app.inject(options);
	const admin = (method: 'POST' | 'PUT', url: string, payload: object) =>
		inject({ method, url, headers: asAdmin, payload });
	const batch = (pairs: object[], headers: Record<string, string> = asInternal) => {
		execution += 1;
		return inject({
			method: 'POST',
			url: '/v1/credentials/batch',
			headers: {
				...headers,
				'x-n8n-workflow-id': 'wf-batch',
				'x-n8n-execution-id': `exec-batch-${execution}`,
			},
			payload: { pairs },
		});
	};
	const auditRows = (executionId: string) =>
		vault.database.db.query<Record<string, unknown>>(
			`SELECT action, client_id, service, status_code, error_code, workflow_id
			 FROM audit_log WHERE execution_id = $1 ORDER BY id`,
			[executionId],
		);
	/** otobot_vault_credential_fetches_total by outcome, as /metrics shows it. */
	const fetchMetrics = async () => {
		const text = (await inject({ url: '/metrics', headers: asAdmin })).body;
		const counts: Record<string, number> = {};
		for (const [, outcome, value] of text.matchAll(
			/^otobot_vault_credential_fetches_total\{outcome="(\w+)"\} (\d+)$/gm,
		))
			counts[outcome!] = Number(value);
		return counts;
	};
	const newReadToken = async (clients?: string[]) =>
		(
			(
				await admin('POST', '/v1/tokens', { name: `batch ${execution}`, scope: 'read', clients })
			).json() as { token: string }
		).token;

	beforeAll(async () => {
		provider = await TestProvider.start();
		vault = await startTestVault(backend, {
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			REFRESHER_ENABLED: 'false',
			RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
		});
		await addAcmeAndCrm(vault, provider.tokenUrl);
		await admin('POST', '/v1/clients', { id: 'globex', name: 'Globex' });
		await admin('PUT', '/v1/clients/acme/connections/openai', { api_key: 'sk-acme-batch' });
		await admin('PUT', '/v1/clients/globex/connections/crm', { access_token: 'at-globex' });
		await vault.database.db.query(
			`UPDATE connections SET status = 'needs_reauth' WHERE client_id = 'globex' AND service = 'crm'`,
		);
		await vault.changesSeen();
	});
	afterAll(async () => {
		await vault?.close();
		await provider?.stop();
	});
	beforeEach(async () => {
		await provider.control({ mode: 'ok', rotate: false, expiresIn: 3600, delayMs: 0 });
		await provider.resetStats();
	});

	it('answers each pair in order as the single fetch does, repeats included, with one audit row per pair', async () => {
		const pairs = [
			{ client_id: 'acme', service: 'openai' },
			{ client_id: 'nobody', service: 'openai' },
			{ client_id: 'globex', service: 'openai' },
			{ client_id: 'globex', service: 'crm' },
			{ client_id: 'acme', service: 'openai' },
		];
		const fetchesBefore = await fetchMetrics();
		const answer = await batch(pairs);
		expect(answer.statusCode).toBe(200);
		const fetchesAfter = await fetchMetrics();
		expect(fetchesAfter.ok! - (fetchesBefore.ok ?? 0)).toBe(2);
		expect(fetchesAfter.CLIENT_NOT_FOUND! - (fetchesBefore.CLIENT_NOT_FOUND ?? 0)).toBe(1);
		const results = answer.json().results as BatchResult[];
		expect(results.map((item) => [item.client_id, item.service, item.status])).toEqual([
			['acme', 'openai', 200],
			['nobody', 'openai', 404],
			['globex', 'openai', 404],
			['globex', 'crm', 409],
			['acme', 'openai', 200],
		]);
		expect(results.map((item) => item.error?.code ?? null)).toEqual([
			null,
			'CLIENT_NOT_FOUND',
			'CONNECTION_NOT_FOUND',
			'CONNECTION_NEEDS_REAUTH',
			null,
		]);
		for (const [index, { client_id: clientId, service }] of pairs.entries()) {
			const single = await inject({
				url: `/v1/credentials/${clientId}/${service}`,
				headers: asInternal,
			});
			expect(results[index]!.status).toBe(single.statusCode);
			expect(results[index]!.credential ?? results[index]!.error).toEqual(single.json());
		}
		expect(results[0]!.credential).toMatchObject({ type: 'api_key', api_key: 'sk-acme-batch' });

		const rows = await auditRows(`exec-batch-${execution}`);
		const fetches = rows.filter((row) => row.action === 'credential.fetch');
		expect(fetches.map((row) => [row.client_id, row.status_code, row.error_code])).toEqual([
			['acme', 200, null],
			['nobody', 404, 'CLIENT_NOT_FOUND'],
			['globex', 404, 'CONNECTION_NOT_FOUND'],
			['globex', 409, 'CONNECTION_NEEDS_REAUTH'],
			['acme', 200, null],
		]);
		expect(fetches.every((row) => row.workflow_id === 'wf-batch')).toBe(true);
		expect(rows.filter((row) => row.action === 'credential.batch')).toHaveLength(1);
		expect(JSON.stringify(rows)).not.toContain('sk-acme-batch');
	});

	it('answers FORBIDDEN for the pairs of clients a limited read token may not use', async () => {
		const token = await newReadToken(['acme']);
		const answer = await batch(
			[
				{ client_id: 'acme', service: 'openai' },
				{ client_id: 'globex', service: 'openai' },
			],
			bearer(token),
		);
		expect(answer.statusCode).toBe(200);
		const results = answer.json().results as BatchResult[];
		expect(results[0]).toMatchObject({ status: 200, credential: { api_key: 'sk-acme-batch' } });
		expect(results[1]).toMatchObject({ status: 403, error: { code: 'FORBIDDEN' } });
		expect(answer.body).not.toContain('at-globex');
	});

	it('refreshes a due OAuth2 connection once for three pairs naming it', async () => {
		await provider.allowRefreshToken('rt-batch');
		await admin('PUT', '/v1/clients/acme/connections/crm', {
			access_token: 'at-batch-old',
			refresh_token: 'rt-batch',
			expires_in: 10,
		});
		const pair = { client_id: 'acme', service: 'crm' };
		const answer = await batch([pair, pair, pair]);
		expect(answer.statusCode).toBe(200);
		const tokens = (answer.json().results as BatchResult[]).map(
			(item) => item.credential?.access_token,
		);
		expect(tokens[0]).not.toBe('at-batch-old');
		expect(tokens).toEqual([tokens[0], tokens[0], tokens[0]]);
		expect((await provider.stats()).tokenCalls).toBe(1);
	});

	it("counts every pair against the token's rate limit; a batch past it is refused whole", async () => {
		const token = await newReadToken();
		const pairs = Array.from({ length: 40 }, () => ({ client_id: 'acme', service: 'openai' }));
		expect((await batch(pairs, bearer(token))).statusCode).toBe(200);
		let served = 0;
		for (;;) {
			const single = await inject({ url: '/v1/credentials/acme/openai', headers: bearer(token) });
			if (single.statusCode !== 200) {
				expect(single.statusCode).toBe(429);
				break;
			}
			served += 1;
		}
		expect(served).toBe(RATE_LIMIT_MAX - pairs.length);
		const refused = await batch(pairs, bearer(token));
		expect(refused.statusCode).toBe(429);
		expect(refused.json().code).toBe('RATE_LIMITED');
		expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
		const rows = await auditRows(`exec-batch-${execution}`);
		expect(rows.map((row) => row.action)).toEqual(['credential.batch']);
	});

	it('lets a batch in while the budget has room and charges it in full', async () => {
		const token = await newReadToken();
		const pairs = Array.from({ length: 40 }, () => ({ client_id: 'acme', service: 'openai' }));
		expect((await batch(pairs, bearer(token))).statusCode).toBe(200);
		const overdrawing = await batch(pairs, bearer(token));
		expect(overdrawing.statusCode).toBe(200);
		expect((overdrawing.json().results as BatchResult[]).every((item) => item.status === 200)).toBe(
			true,
		);
		const after = await inject({ url: '/v1/credentials/acme/openai', headers: bearer(token) });
		expect(after.statusCode).toBe(429);
	});

	it.each([
		['no pairs', []],
		['501 pairs', Array.from({ length: 501 }, () => ({ client_id: 'acme', service: 'openai' }))],
		['a client id the single fetch refuses', [{ client_id: 'acme/../globex', service: 'openai' }]],
		['an upper-case service', [{ client_id: 'acme', service: 'OpenAI' }]],
		['an unknown field', [{ client_id: 'acme', service: 'openai', extra: 1 }]],
	])('refuses %s with 400 VALIDATION_FAILED', async (_name, pairs) => {
		const answer = await batch(pairs);
		expect(answer.statusCode).toBe(400);
		expect(answer.json().code).toBe('VALIDATION_FAILED');
	});
});
