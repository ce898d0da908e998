import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The end-to-end harness's vault starter and test data: the unit tests meet the same real vault.
import { seedVault, TOKENS } from '../test-n8n/lib/seed.mjs';
import { startTestApi } from '../test-n8n/lib/test-api.mjs';
import { startVault } from '../test-n8n/lib/vault.mjs';

export { TOKENS };

export interface AuditEntry {
	action: string;
	client_id: string | null;
	service: string | null;
	status_code: number | null;
	workflow_id: string | null;
	execution_id: string | null;
	details: Record<string, unknown> | null;
}

export interface RealVault {
	url: string;
	internalToken: string;
	admin(method: string, path: string, body?: object): Promise<unknown>;
	audit(query: Record<string, string>): Promise<AuditEntry[]>;
	refreshAndReadStatus(
		clientId: string,
		service: string,
	): Promise<{ answer: { status: number; code: string }; status: string }>;
	/** Calls the test provider's token endpoint received so far. */
	tokenRequests(): number;
	stop(): Promise<void>;
}

/**
 * Starts the real vault (vault-server/dist/cli.js) on its own database with the test data of
 * test-n8n/lib/seed.mjs, plus an API-key service `my-crm` for the "Other" service case; `env`
 * adds to the vault's environment (e.g. a short RATE_LIMIT_WINDOW).
 */
export async function startRealVault(
	databaseName: string,
	env: Record<string, string> = {},
): Promise<RealVault> {
	const workDir = mkdtempSync(join(tmpdir(), `${databaseName}-`));
	const testApi = await startTestApi();
	const vault = await startVault({
		workDir,
		databaseName,
		log: () => {},
		env: { ALLOW_INSECURE_OAUTH_URLS: 'true', ...env },
	});
	await seedVault(vault, testApi);
	await vault.admin('POST', '/v1/services', {
		name: 'my-crm',
		display_name: 'My CRM',
		oauth_type: 'api_key',
	});
	await vault.admin('PUT', '/v1/clients/acme/connections/my-crm', { api_key: 'crm-key' });
	return {
		url: vault.url,
		internalToken: vault.internalToken,
		admin: vault.admin,
		refreshAndReadStatus: vault.refreshAndReadStatus,
		tokenRequests: () => testApi.tokenRequests(),
		audit: async (query) =>
			(
				(await vault.admin(
					'GET',
					`/v1/audit?${new URLSearchParams({ limit: '1000', ...query })}`,
				)) as {
					entries: AuditEntry[];
				}
			).entries,
		stop: async () => {
			await vault.stop();
			await testApi.stop();
			rmSync(workDir, { recursive: true, force: true });
		},
	};
}
