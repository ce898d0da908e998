import type { ICredentialDataDecryptedObject, IDataObject, IHttpRequestHelper } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OtobotVaultOAuth2Api } from '../credentials/OtobotVaultOAuth2Api.credentials';
import { OtobotCredentialFetcher } from '../nodes/OtobotCredentialFetcher/OtobotCredentialFetcher.node';
import {
	CLIENT_ID_PATTERN,
	ID_MAX_LENGTH,
	normaliseClientId,
	normaliseService,
	SERVICE_PATTERN,
	vaultTarget,
} from '../shared/vaultIds';
import { credentialTestContext, executeContext, httpRequest, jsonOf } from './execute-context';
import { startRealVault, type RealVault } from './real-vault';

let vault: RealVault;

beforeAll(async () => {
	vault = await startRealVault('otobot_nodes_vault_ids');
});
afterAll(async () => await vault?.stop());

interface OpenApiParameter {
	name: string;
	in: string;
	schema: { pattern?: string; maxLength?: number; minLength?: number };
}

describe('shared/vaultIds.ts against the vault', () => {
	it('holds the patterns of every client_id and service path parameter of the OpenAPI document', async () => {
		const doc = (await (await fetch(`${vault.url}/docs/json`)).json()) as {
			paths: Record<string, Record<string, { parameters?: OpenApiParameter[] }>>;
		};
		const seen = { client_id: 0, service: 0 };
		for (const operations of Object.values(doc.paths)) {
			for (const operation of Object.values(operations)) {
				for (const parameter of operation.parameters ?? []) {
					if (parameter.in !== 'path') continue;
					if (parameter.name !== 'client_id' && parameter.name !== 'service') continue;
					seen[parameter.name] += 1;
					expect(parameter.schema.pattern).toBe(
						parameter.name === 'client_id' ? CLIENT_ID_PATTERN : SERVICE_PATTERN,
					);
					// the length limit lives in the pattern; a maxLength beside it must agree
					expect(parameter.schema.maxLength ?? ID_MAX_LENGTH).toBe(ID_MAX_LENGTH);
				}
			}
		}
		// GET /v1/credentials/{client_id}/{service} at least, and the client routes
		expect(seen.client_id).toBeGreaterThan(1);
		expect(seen.service).toBeGreaterThan(0);
	});

	// what the vault does with raw values: it normalises nothing, so the package must, and it
	// refuses exactly what the module refuses
	const samples: Array<[clientId: string, service: string]> = [
		['acme', 'google'],
		['acme ', 'google'],
		['acme', 'Google'],
		['acme', ' MY-CRM '],
		['Acme.Corp_1', 'my-crm'],
		['a'.repeat(ID_MAX_LENGTH), 's'.repeat(ID_MAX_LENGTH)],
		['a'.repeat(ID_MAX_LENGTH + 1), 'google'],
		['acme', 's'.repeat(ID_MAX_LENGTH + 1)],
		['acme:prod', 'google'],
		['client@example.com', 'google'],
		['-acme', 'google'],
		['acme', 'my.crm'],
		['acme', '_crm'],
		['ácme', 'google'],
	];

	async function vaultAnswer(clientId: string, service: string) {
		const url = `${vault.url}/v1/credentials/${encodeURIComponent(clientId)}/${encodeURIComponent(service)}`;
		const response = await fetch(url, {
			headers: { Authorization: `Bearer ${vault.internalToken}` },
		});
		return { status: response.status, body: (await response.json()) as IDataObject };
	}

	it.each(samples)(
		'refuses %j / %j exactly when the vault would, after normalising',
		async (clientId, service) => {
			const raw = await vaultAnswer(clientId, service);
			if (clientId !== clientId.trim() || service !== service.trim().toLowerCase()) {
				expect(raw.status, 'the vault normalises nothing').toBe(400);
			}
			const normalised = [normaliseClientId(clientId), normaliseService(service)] as const;
			const answer = await vaultAnswer(...normalised);
			const vaultRefuses = answer.status === 400 && answer.body.code === 'VALIDATION_FAILED';
			let moduleRefuses = false;
			try {
				vaultTarget(...normalised);
			} catch {
				moduleRefuses = true;
			}
			expect(moduleRefuses).toBe(vaultRefuses);
		},
	);

	it('keeps the case of client ids: the vault tells Acme and acme apart', async () => {
		expect(normaliseClientId(' Acme ')).toBe('Acme');
		expect((await vaultAnswer('Acme', 'google')).body.code).toBe('CLIENT_NOT_FOUND');
		expect((await vaultAnswer('acme', 'google')).status).toBe(200);
	});
});

describe('the node and both credentials accept and refuse the same values', () => {
	const fetcher = new OtobotCredentialFetcher();
	const tokenCredential = new OtobotVaultOAuth2Api();

	const credential = (clientId: string, service: string, otherService = '') => ({
		vaultUrl: vault.url,
		internalToken: vault.internalToken,
		clientId,
		service,
		otherService,
	});

	/** What each of the three says for one credential: 'OK' or its message. */
	async function verdicts(data: ICredentialDataDecryptedObject) {
		const node = await fetcher.execute
			.call(
				executeContext({
					credential: data,
					parameters: { resource: 'credential', operation: 'getCredentials' },
				}),
			)
			.then(
				(output) => (jsonOf(output)[0].client_id ? 'OK' : 'no credential'),
				(error: Error) => error.message,
			);
		const token = await tokenCredential.preAuthentication
			.call({ helpers: { httpRequest } } as unknown as IHttpRequestHelper, data)
			.then(
				() => 'OK',
				(error: Error) => error.message,
			);
		const test = await fetcher.methods.credentialTest.otobotDatabaseApiTest.call(
			credentialTestContext(),
			{ id: '', name: 'unit', type: 'otobotDatabaseApi', data },
		);
		return { node, token, test: test.status === 'OK' ? 'OK' : test.message };
	}

	it.each([
		['a trailing space and an "Other" service in capitals', ['acme ', 'other', 'MY-CRM']],
		['a known service in capitals', [' acme', 'other', 'Google']],
	])('all find the connection for %s', async (_, [clientId, service, other]) => {
		expect(await verdicts(credential(clientId, service, other))).toEqual({
			node: 'OK',
			token: 'OK',
			test: 'OK',
		});
	});

	it.each([
		['a colon', ['acme:prod', 'google'], '"acme:prod" can never be a vault Client ID'],
		['an at sign', ['ops@acme', 'google'], '"ops@acme" can never be a vault Client ID'],
		['65 characters', ['a'.repeat(65), 'google'], 'can never be a vault Client ID'],
		[
			'a dot in the service',
			['acme', 'other', 'my.crm'],
			'"my.crm" can never be a vault service name',
		],
	])(
		'all refuse a value with %s, with the same message',
		async (_, [clientId, service, other], message) => {
			const data = credential(clientId, service, other);
			const { node, token, test } = await verdicts(data);
			expect(node).toContain(message);
			// the credentials add where to fix it after the same sentence
			expect(token.startsWith(node)).toBe(true);
			expect(test.startsWith(node)).toBe(true);
		},
	);
});
