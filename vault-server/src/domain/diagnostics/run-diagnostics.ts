import type { Config } from '../../config/config.js';
import type { Actor } from '../api-tokens.js';
import type { AuditWriter } from '../audit-writer.js';
import type { Keyring } from '../../crypto/keyring.js';
import type { Database } from '../../storage/database.js';
import { connectionsStore } from '../../storage/connections-store.js';
import { servicesStore } from '../../storage/services-store.js';
import { checkConnection } from './connection-liveness.js';
import {
	checkApiHealth,
	checkDatabase,
	checkMasterKey,
	checkMigrations,
	type CheckResult,
} from './system-checks.js';

export interface DiagnosticsOptions {
	db: Database;
	config: Config;
	/** Where each test call is audited (`credential.test`), given the keyring the checks opened. */
	auditFor: (keyring: Keyring) => AuditWriter;
	/** Who the test calls are audited as (the API's caller); the CLI's own actor when unset. */
	actor?: Actor;
	/**
	 * Where the vault being checked answers on this machine (a running vault: the address it is
	 * bound to): the API health check and the demo data's checks ask there. Config.apiUrl when unset.
	 */
	selfUrl?: string;
}

/**
 * `test-connections`, wherever it runs (the CLI on its own database, or a running vault for
 * POST /v1/diagnostics/connection-tests): the database, pending migrations, the master key, the
 * API's /health, then each connection (see {@link checkConnection}). Each result goes to `report`
 * as soon as it is known; a check that cannot run because an earlier one failed is left out.
 * Resolves with how many connections were checked (null: the checks stopped before them). A failed check is a result, not an error;
 * details carry no secret.
 */
export async function runDiagnostics(
	options: DiagnosticsOptions,
	report: (result: CheckResult) => void,
): Promise<{ connections: number | null }> {
	const { db, config } = options;
	const selfUrl = options.selfUrl ?? config.apiUrl;
	const database = await checkDatabase(db);
	report(database);
	if (database.status !== 'OK') return { connections: null };
	const migrations = await checkMigrations(db);
	report(migrations);
	const key = await checkMasterKey(db, config);
	report(key.result);
	report(await checkApiHealth(selfUrl));
	if (migrations.status !== 'OK' || !key.keyring) return { connections: null };
	const deps = {
		db,
		keyring: key.keyring,
		audit: options.auditFor(key.keyring),
		timeoutMs: config.refresher.timeoutMs,
		allowInsecure: config.allowInsecureOAuthUrls,
		privateAddresses: config.providerPrivateAddresses,
		selfUrl,
		actor: options.actor,
	};
	const services = new Map(
		(await servicesStore(db).list()).map((service) => [service.name, service]),
	);
	const connections = await connectionsStore(db).listAll();
	for (const connection of connections) {
		report(await checkConnection(deps, connection, services.get(connection.service)!));
	}
	return { connections: connections.length };
}
