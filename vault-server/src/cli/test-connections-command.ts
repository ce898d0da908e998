import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loggerOptions } from '../config/logger.js';
import type { Config } from '../config/config.js';
import { openDatabase } from '../storage/open-database.js';
import { connectionsStore } from '../storage/connections-store.js';
import { servicesStore } from '../storage/services-store.js';
import { AuditWriter } from '../domain/audit-writer.js';
import { refresherFromConfig } from '../domain/refresh/refresher-from-config.js';
import {
	checkApiHealth,
	checkDatabase,
	checkMasterKey,
	checkMigrations,
	type CheckResult,
} from '../domain/diagnostics/system-checks.js';
import { checkConnection } from '../domain/diagnostics/connection-liveness.js';
import { demoDataCommand } from './demo-data-command.js';
import { COLOURS, PLAIN, type Paint } from './monitor-table.js';
import type { Command } from './commands.js';

const colourOf = (paint: Paint, status: CheckResult['status']) =>
	status === 'OK' ? paint.green : status === 'FAILED' ? paint.red : paint.yellow;

/**
 * `otobot-vault test-connections`: the database, the migrations, the master key, the API's
 * health, then each connection's liveness, one line each. Exit 1 if anything FAILED.
 * `--insert-test-data` / `--remove-test-data` manage the demo data instead.
 */
export const testConnectionsCommand: Command = async (args, config) => {
	const { values } = parseArgs({
		args,
		options: { 'insert-test-data': { type: 'boolean' }, 'remove-test-data': { type: 'boolean' } },
	});
	if (values['insert-test-data'] || values['remove-test-data']) {
		return demoDataCommand(values['insert-test-data'] ? 'insert' : 'remove', config);
	}
	const paint = process.stdout.isTTY && !process.env.NO_COLOR ? COLOURS : PLAIN;
	let failed = 0;
	const print = (result: CheckResult) => {
		if (result.status === 'FAILED') failed += 1;
		console.log(
			`${colourOf(paint, result.status)(result.status.padEnd(11))} ${result.name.padEnd(40)} ${result.detail}`,
		);
	};
	await runChecks(config, print);
	console.log(
		failed === 0 ? paint.green('\nAll checks passed.') : paint.red(`\n${failed} check(s) FAILED.`),
	);
	return failed === 0 ? 0 : 1;
};

async function runChecks(config: Config, print: (result: CheckResult) => void) {
	let db;
	try {
		db = await openDatabase(config);
	} catch (error) {
		print({
			name: 'database',
			status: 'FAILED',
			detail: error instanceof Error ? error.message : String(error),
		});
		print(await checkApiHealth(config.apiUrl));
		return;
	}
	try {
		const database = await checkDatabase(db);
		print(database);
		if (database.status !== 'OK') return;
		const migrations = await checkMigrations(db);
		print(migrations);
		const key = await checkMasterKey(db, config);
		print(key.result);
		print(await checkApiHealth(config.apiUrl));
		if (migrations.status !== 'OK' || !key.keyring) return;
		const log = pino({ ...loggerOptions('warn') }, pino.destination(2));
		const audit = new AuditWriter(db);
		const deps = {
			db,
			keyring: key.keyring,
			timeoutMs: config.refresher.timeoutMs,
			allowInsecure: config.allowInsecureOAuthUrls,
		};
		const refresher = refresherFromConfig(config, { db, keyring: key.keyring, audit, log });
		const connections = await connectionsStore(db).listAll();
		const services = new Map(
			(await servicesStore(db).list()).map((service) => [service.name, service]),
		);
		if (connections.length === 0) console.log('No connections to test.');
		for (const connection of connections) {
			print(
				await checkConnection(
					{ ...deps, refresher },
					connection,
					services.get(connection.service)!,
				),
			);
		}
		await audit.drain();
	} finally {
		await db.close();
	}
}
