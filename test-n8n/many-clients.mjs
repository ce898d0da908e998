// One execution over 1,300 clients in a real n8n (issue #16 §1): each client has one api_key
// connection, the vault runs at its default rate limit (RATE_LIMIT_MAX 1,200 a minute per token),
// and the Otobot Credential Fetcher must give every item its key in 3 batch requests.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strict as assert } from 'node:assert';

import { nodeOutput } from './lib/n8n.mjs';

export const CLIENTS = 1300;
const SERVICE = 'otobot-e2e-crm';
const WORKFLOW_ID = 'otobotE2eManyClients';
const BATCH_ROUTE = '/v1/credentials/batch';

const clientId = (i) => `bulk-${String(i + 1).padStart(4, '0')}`;

/** Runs `calls` (functions returning promises) `width` at a time; rejects on the first failure. */
async function inParallel(calls, width) {
	let next = 0;
	const lane = async () => {
		while (next < calls.length) await calls[next++]();
	};
	await Promise.all(Array.from({ length: width }, lane));
}

/**
 * 1,300 clients with one api_key connection each, through the admin API. Each admin token may
 * make RATE_LIMIT_MAX requests a minute, so the 2,600 writes are spread over three admin tokens
 * (the vault's and two made for this); returns each client's key.
 */
async function seedClients(vault) {
	await vault.admin('POST', '/v1/services', {
		name: SERVICE,
		display_name: 'E2E CRM',
		oauth_type: 'api_key',
	});
	const extra = [];
	for (const n of [1, 2])
		extra.push(
			(await vault.admin('POST', '/v1/tokens', { name: `e2e seeding ${n}`, scope: 'admin' })).token,
		);
	const tokens = [undefined, ...extra];
	const keys = Array.from(
		{ length: CLIENTS },
		(_, i) => `key-${clientId(i)}-${randomBytes(6).toString('hex')}`,
	);
	const calls = keys.map((key, i) => async () => {
		const as = tokens[i % tokens.length];
		await vault.admin('POST', '/v1/clients', { id: clientId(i), name: `Bulk ${i + 1}` }, as);
		await vault.admin(
			'PUT',
			`/v1/clients/${clientId(i)}/connections/${SERVICE}`,
			{ api_key: key },
			as,
		);
	});
	await inParallel(calls, 8);
	return keys;
}

/** `otobot_vault_http_requests_total` for POST /v1/credentials/batch, by status code. */
async function batchRequests(vault) {
	const text = await vault.adminText('/metrics');
	const counts = {};
	for (const line of text.split('\n')) {
		if (!line.startsWith('otobot_vault_http_requests_total{')) continue;
		if (!line.includes(`route="${BATCH_ROUTE}"`) || !line.includes('method="POST"')) continue;
		const status = /status_code="(\d+)"/.exec(line)[1];
		counts[status] = Number(line.slice(line.lastIndexOf(' ') + 1));
	}
	return counts;
}

/** The workflow: 1,300 items, one per client, into Get Credentials by expression. */
function workflow(credentialId) {
	const clients = Array.from({ length: CLIENTS }, (_, i) => clientId(i));
	return {
		id: WORKFLOW_ID,
		name: 'e2e: 1,300 clients in one execution',
		active: false,
		settings: { executionOrder: 'v1' },
		connections: {
			Start: { main: [[{ node: 'Clients', type: 'main', index: 0 }]] },
			Clients: { main: [[{ node: 'One Item Per Client', type: 'main', index: 0 }]] },
			'One Item Per Client': { main: [[{ node: 'Get Credentials', type: 'main', index: 0 }]] },
		},
		nodes: [
			{
				id: '9c1d2a40-0001-4f00-8a00-000000000001',
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			{
				id: '9c1d2a40-0001-4f00-8a00-000000000002',
				name: 'Clients',
				type: 'n8n-nodes-base.set',
				typeVersion: 3.4,
				position: [220, 0],
				parameters: { mode: 'raw', jsonOutput: JSON.stringify({ client: clients }), options: {} },
			},
			{
				id: '9c1d2a40-0001-4f00-8a00-000000000003',
				name: 'One Item Per Client',
				type: 'n8n-nodes-base.splitOut',
				typeVersion: 1,
				position: [440, 0],
				parameters: { fieldToSplitOut: 'client', options: {} },
			},
			{
				id: '9c1d2a40-0001-4f00-8a00-000000000004',
				name: 'Get Credentials',
				type: 'n8n-nodes-otobot.otobotCredentialFetcher',
				typeVersion: 1,
				position: [660, 0],
				parameters: {
					resource: 'credential',
					operation: 'getCredentials',
					clientId: '={{ $json.client }}',
					service: SERVICE,
				},
				credentials: {
					otobotDatabaseApi: { id: credentialId, name: 'Otobot Vault (many clients)' },
				},
			},
		],
	};
}

/**
 * The 1,300-client check, with run.mjs's `check`, its `n8n` (the package installed), its started
 * `vault` (default rate limit) and work folder.
 */
export async function manyClientsCheck({ check, n8n, vault, workDir }) {
	await check(
		`one execution over ${CLIENTS.toLocaleString('en')} clients at the default rate limit: every item gets its key in 3 batch requests`,
		async () => {
			const keys = await seedClients(vault);
			// a read token of its own: the other checks' token keeps its budget, this one starts full
			const { token } = await vault.admin('POST', '/v1/tokens', {
				name: 'e2e many clients',
				scope: 'read',
			});
			const credentialId = 'otobotDbCredMany';
			const credentials = join(workDir, 'many-clients-credentials.json');
			writeFileSync(
				credentials,
				JSON.stringify([
					{
						id: credentialId,
						name: 'Otobot Vault (many clients)',
						type: 'otobotDatabaseApi',
						data: {
							vaultUrl: vault.url,
							internalToken: token,
							clientId: clientId(0),
							service: 'other',
							otherService: SERVICE,
						},
					},
				]),
			);
			const workflowFile = join(workDir, 'many-clients-workflow.json');
			writeFileSync(workflowFile, JSON.stringify(workflow(credentialId)));
			await n8n.mustRun(['import:credentials', `--input=${credentials}`]);
			await n8n.mustRun(['import:workflow', `--input=${workflowFile}`]);

			const before = await batchRequests(vault);
			// 1,300 items through n8n on a busy 2-core machine took over 120 s (n8n.run's default bound)
			const run = await n8n.execute(WORKFLOW_ID, { timeoutMs: 600_000 });
			assert.equal(run.result?.status, 'success', run.output.slice(-3000));
			const items = nodeOutput(run.result, 'Get Credentials');
			assert.equal(items.length, CLIENTS);
			const wrong = items.filter(
				(item, i) => item.client_id !== clientId(i) || item.api_key !== keys[i],
			);
			assert.deepEqual(
				wrong.map((item) => item.client_id ?? item.code),
				[],
				'items without their own key',
			);

			const after = await batchRequests(vault);
			const delta = (status) => (after[status] ?? 0) - (before[status] ?? 0);
			assert.equal(
				delta('200'),
				3,
				`batch requests answered 200: ${JSON.stringify({ before, after })}`,
			);
			assert.equal(delta('429'), 0, 'a batch request was refused with 429');
		},
	);
}
