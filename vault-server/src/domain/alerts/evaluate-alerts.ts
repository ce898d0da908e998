import type { AlertSettings } from '../../config/config.js';
import type { Database } from '../../storage/database.js';
import { alertsStore, type AlertRow } from '../../storage/alerts-store.js';
import { criticalErrorsStore } from '../../storage/critical-errors-store.js';
import { withEvaluationLease } from '../../storage/evaluation-lease.js';
import { alertRules } from './alert-rules.js';

export interface AlertChanges {
	opened: AlertRow[];
	resolved: AlertRow[];
}

const DAY_MS = 86_400_000;

/**
 * One evaluation of every rule, if this process wins the lease (one evaluator at a time across
 * processes, at most once per `minIntervalMs`): opens an alert per new violation, refreshes the
 * open ones, resolves those whose condition cleared. `undefined` when another process had the lease.
 */
export async function evaluateAlerts(
	db: Database,
	settings: AlertSettings,
	minIntervalMs: number,
): Promise<AlertChanges | undefined> {
	return withEvaluationLease(db, minIntervalMs, async (q) => {
		const store = alertsStore(q);
		const changes: AlertChanges = { opened: [], resolved: [] };
		for (const definition of alertRules(settings)) {
			const violations = await definition.violations(q);
			changes.opened.push(...(await store.upsertOpen(definition.rule, violations)));
			changes.resolved.push(
				...(await store.resolveAllBut(
					definition.rule,
					violations.map((v) => v.subject),
				)),
			);
		}
		await criticalErrorsStore(q).prune(
			new Date(Date.now() - Math.max(settings.criticalWindowMs, DAY_MS)),
		);
		return changes;
	});
}
