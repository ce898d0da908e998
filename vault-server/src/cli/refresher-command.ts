import { pino } from 'pino';
import { loggerOptions } from '../config/logger.js';
import { openVault } from '../vault.js';
import { AuditWriter } from '../domain/audit-writer.js';
import {
	refreshLoopFromConfig,
	refresherFromConfig,
} from '../domain/refresh/refresher-from-config.js';
import { startKeyringReload } from '../crypto/keyring-reload.js';
import { startRefreshLoop } from '../domain/refresh/refresh-loop.js';
import {
	startWebhookWorker,
	syncAlertWebhookFromConfig,
} from '../domain/webhooks/webhook-worker-from-config.js';
import { startAlertLoop } from '../domain/alerts/alert-loop.js';
import { CriticalErrorRecorder } from '../domain/alerts/critical-errors.js';
import type { Config } from '../config/config.js';

/**
 * The background refresher as a process of its own (the `token-refresher` service), for when
 * `serve` runs with REFRESHER_ENABLED=false or on several replicas, with the alert evaluator beside
 * it. Runs until SIGINT/SIGTERM.
 */
export async function refresherCommand(config: Config): Promise<number> {
	const log = pino(loggerOptions(config.logLevel));
	const vault = await openVault(config, { announce: (message) => log.warn(message) });
	const keyringReload = startKeyringReload(vault.keyring, config.keyringReloadMs, log);
	const audit = new AuditWriter(vault.db, vault.keyring);
	const refresher = refresherFromConfig(config, {
		db: vault.db,
		keyring: vault.keyring,
		audit,
		log,
	});
	const loop = startRefreshLoop(vault.db, refresher, log, refreshLoopFromConfig(config));
	await syncAlertWebhookFromConfig(config, vault.db, vault.keyring);
	const alertLoop = startAlertLoop({
		db: vault.db,
		settings: config.alerts,
		log,
		notifier: startWebhookWorker(config, vault.db, vault.keyring, log),
		tokenWarningDays: config.monitoring.tokenWarningDays,
		recorder: new CriticalErrorRecorder(vault.db, log),
	});
	log.info(
		{
			intervalMs: config.refresher.intervalMs,
			concurrency: config.refresher.concurrency,
			alertIntervalMs: config.alerts.intervalMs,
		},
		'refresher started',
	);
	return new Promise<number>((resolve) => {
		const stop = async (signal: string) => {
			log.info({ signal }, 'refresher stopping');
			await Promise.all([loop.stop(), alertLoop.stop(), keyringReload.stop()]);
			await audit.drain();
			await vault.db.close();
			resolve(0);
		};
		process.once('SIGINT', () => void stop('SIGINT'));
		process.once('SIGTERM', () => void stop('SIGTERM'));
	});
}
