import type { Config } from '../config/config.js';
import { monitoringSummary, type MonitoringSummary } from '../domain/monitoring.js';
import { openVault } from '../vault.js';
import { vaultApiInstead } from './vault-api.js';

export interface MonitoringSource {
	summary(): Promise<MonitoringSummary>;
	close(): Promise<void>;
}

/**
 * The database, or, when the embedded one is held by a running `serve` (PGlite serves one process),
 * that server's GET /v1/monitoring with the local admin token.
 */
export async function openMonitoringSource(config: Config): Promise<MonitoringSource> {
	try {
		const vault = await openVault(config);
		return { summary: () => monitoringSummary(vault.db, config), close: () => vault.db.close() };
	} catch (error) {
		const api = vaultApiInstead(config, error, 10_000);
		return {
			summary: () => api.request<MonitoringSummary>('GET', '/v1/monitoring'),
			close: async () => {},
		};
	}
}
