import type { FastifyBaseLogger } from 'fastify';
import type { AlertSettings } from '../../config/config.js';
import type { Database } from '../../storage/database.js';
import type { CriticalErrorRecorder } from './critical-errors.js';
import { evaluateAlerts } from './evaluate-alerts.js';
import { startPeriodicTask } from '../../periodic-task.js';

export interface AlertLoopDependencies {
	db: Database;
	settings: AlertSettings;
	log: FastifyBaseLogger;
	/** The webhook delivery worker: kicked after each evaluation, stopped with the loop. */
	notifier: { kick(): Promise<void>; stop(): Promise<void> };
	/** TOKEN_EXPIRY_WARNING_DAYS: `api_token.expiring` is queued this long before an expiry. */
	tokenWarningDays?: number;
	recorder?: CriticalErrorRecorder;
	/** Called after each evaluation this process ran (metrics). */
	onEvaluated?: () => void;
}

/**
 * The alert evaluator, started beside the refresh loop (in `serve` and in `otobot-vault
 * refresher`). Every process ticks at ALERT_EVALUATION_INTERVAL_SECONDS; the lease lets one of
 * them evaluate per interval. Notifications go out on their own, so a slow webhook never delays
 * this loop or the refresher.
 */
export function startAlertLoop(deps: AlertLoopDependencies) {
	const { db, settings, log, notifier } = deps;
	const loop = startPeriodicTask(async () => {
		try {
			await deps.recorder?.flush();
			// a little under the interval: the processes' timers drift, the lease keeps the bound
			const changes = await evaluateAlerts(
				db,
				settings,
				settings.intervalMs * 0.9,
				deps.tokenWarningDays,
			);
			if (changes) {
				deps.onEvaluated?.();
				for (const alert of changes.opened)
					log.warn({ rule: alert.rule, subject: alert.subject }, 'alert opened');
				for (const alert of changes.resolved)
					log.info({ rule: alert.rule, subject: alert.subject }, 'alert resolved');
			}
			void notifier.kick();
		} catch (error) {
			log.error({ err: error }, 'alert evaluation failed');
		}
		return settings.intervalMs;
	});
	return {
		async stop() {
			await loop.stop();
			await deps.recorder?.flush();
			await notifier.stop();
		},
	};
}
