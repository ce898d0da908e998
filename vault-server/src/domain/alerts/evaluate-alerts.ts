import type { AlertSettings } from '../../config/config.js';
import type { Database } from '../../storage/database.js';
import { alertsStore, type AlertRow } from '../../storage/alerts-store.js';
import { criticalErrorsStore } from '../../storage/critical-errors-store.js';
import { withEvaluationLease } from '../../storage/evaluation-lease.js';
import { alertRules, RULE_TITLES } from './alert-rules.js';
import { alertEventData } from './alert-webhook.js';
import { emitWebhookEvent } from '../webhooks/webhook-events.js';
import { emitExpiringTokenEvents } from '../webhooks/token-expiry-events.js';

export interface AlertChanges {
	opened: AlertRow[];
	resolved: AlertRow[];
}

const DAY_MS = 86_400_000;

/**
 * One evaluation of every rule, if this process wins the lease (one evaluator at a time across
 * processes, at most once per `minIntervalMs`): opens an alert per new violation, refreshes the
 * open ones, resolves those whose condition cleared, and queues the `alert.opened` /
 * `alert.resolved` webhook events in the same transaction. With `tokenWarningDays`, also queues
 * `api_token.expiring` once per API token that expires within that many days.
 * `undefined` when another process had the lease.
 */
export async function evaluateAlerts(
	db: Database,
	settings: AlertSettings,
	minIntervalMs: number,
	tokenWarningDays?: number,
): Promise<AlertChanges | undefined> {
	const titles = RULE_TITLES(settings);
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
		for (const alert of changes.opened)
			await emitWebhookEvent(
				q,
				'alert.opened',
				alertEventData('alert.opened', alert, titles[alert.rule]),
			);
		for (const alert of changes.resolved)
			await emitWebhookEvent(
				q,
				'alert.resolved',
				alertEventData('alert.resolved', alert, titles[alert.rule]),
			);
		if (tokenWarningDays !== undefined) await emitExpiringTokenEvents(q, tokenWarningDays);
		await criticalErrorsStore(q).prune(
			new Date(Date.now() - Math.max(settings.criticalWindowMs, DAY_MS)),
		);
		return changes;
	});
}
