import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { monitoringSummary, type MonitoringSummary } from '../domain/monitoring.js';
import { DatabaseLocked } from '../storage/open-database.js';
import { openVault } from '../vault.js';

export interface MonitoringSource {
	summary(): Promise<MonitoringSummary>;
	close(): Promise<void>;
}

/** An admin token this machine already holds: ADMIN_API_TOKEN, else the bootstrap token file. */
function localAdminToken(config: Config): string | undefined {
	const fromEnvironment = config.adminTokens[0]?.reveal();
	if (fromEnvironment) return fromEnvironment;
	const file = join(config.dataDir, 'admin-token');
	return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
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
		const token = error instanceof DatabaseLocked ? localAdminToken(config) : undefined;
		if (!token) throw error;
		const url = `${config.apiUrl}/v1/monitoring`;
		return {
			async summary() {
				const response = await fetch(url, {
					headers: { authorization: `Bearer ${token}` },
					signal: AbortSignal.timeout(10_000),
				});
				if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
				return (await response.json()) as MonitoringSummary;
			},
			close: async () => {},
		};
	}
}
