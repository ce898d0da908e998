import type { AlertSettings } from '../../config/config.js';
import type { Queryable } from '../../storage/database.js';
import type { AlertRule, Violation } from '../../storage/alerts-store.js';
import { alertConditionsStore } from '../../storage/alert-conditions-store.js';

export interface AlertRuleDefinition {
	rule: AlertRule;
	/** What the alert means, for people (the webhook and the monitor show it). */
	title: string;
	violations(q: Queryable): Promise<Violation[]>;
}

/** The design's four alert rules, with their thresholds from the configuration, and the service rule. */
export function alertRules(settings: AlertSettings): AlertRuleDefinition[] {
	return [
		{
			rule: 'connection_expired',
			title: `token expired for more than ${settings.expiredDays} days`,
			violations: (q) => alertConditionsStore(q).expiredSince(settings.expiredDays),
		},
		{
			rule: 'refresh_failing',
			title: `more than ${settings.refreshFailures} failed refreshes in a row`,
			violations: (q) => alertConditionsStore(q).refreshFailuresAbove(settings.refreshFailures),
		},
		{
			rule: 'connection_unused',
			title: `never used ${settings.unusedDays} days after creation`,
			violations: (q) => alertConditionsStore(q).neverUsedAfter(settings.unusedDays),
		},
		{
			rule: 'critical_errors',
			title: `critical API errors (at least ${settings.criticalErrors} within ${Math.round(settings.criticalWindowMs / 60_000)} min)`,
			violations: (q) =>
				alertConditionsStore(q).criticalErrorsWithin(
					settings.criticalWindowMs,
					settings.criticalErrors,
				),
		},
		{
			rule: 'service_app_refused',
			title: "the provider refused the OAuth app's credentials",
			violations: (q) => alertConditionsStore(q).servicesAppRefused(),
		},
	];
}

export const RULE_TITLES = (settings: AlertSettings): Record<AlertRule, string> =>
	Object.fromEntries(
		alertRules(settings).map((definition) => [definition.rule, definition.title]),
	) as Record<AlertRule, string>;
