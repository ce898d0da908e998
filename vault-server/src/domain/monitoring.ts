import type { Config } from '../config/config.js';
import type { Database } from '../storage/database.js';
import { alertsStore } from '../storage/alerts-store.js';
import {
	monitoringStore,
	type ConnectionCategory,
	type MonitoredConnection,
	type MonitoredToken,
} from '../storage/monitoring-store.js';
import { RULE_TITLES } from './alerts/alert-rules.js';

export const EXPIRING_WITHIN_HOURS = 24;
const LIST_LIMIT = 500;
const CATEGORIES: ConnectionCategory[] = [
	'expired',
	'expiring',
	'refresh_errors',
	'unused',
	'needs_reauth',
];

export interface MonitoringSummary {
	generated_at: Date;
	needs_action: boolean;
	thresholds: { expiring_within_hours: number; unused_days: number; token_warning_days: number };
	counts: Record<
		ConnectionCategory | 'connections' | 'tokens_expiring' | 'tokens_expired' | 'open_alerts',
		number
	>;
	connections: Record<ConnectionCategory, MonitoredConnection[]>;
	api_tokens: MonitoredToken[];
	alerts: {
		id: number;
		rule: string;
		title: string;
		subject: string;
		details: Record<string, unknown>;
		first_seen_at: Date;
		last_seen_at: Date;
	}[];
}

/**
 * The operator's view of what needs attention (the design's "Métriques importantes"): expired
 * tokens, tokens expiring within 24 h, refresh errors, unused connections, re-authorisations,
 * API tokens near expiry and open alerts. Each list holds at most 500 rows; counts are exact.
 * `needs_action` is what makes `otobot-vault monitor` exit 1; unused connections alone do not
 * (their alert, 30 days after creation, does).
 */
export async function monitoringSummary(
	db: Database,
	config: Pick<Config, 'monitoring' | 'alerts'>,
): Promise<MonitoringSummary> {
	const store = monitoringStore(db);
	const { unusedDays, tokenWarningDays } = config.monitoring;
	const connections = {} as MonitoringSummary['connections'];
	const counts = {} as MonitoringSummary['counts'];
	for (const category of CATEGORIES) {
		const { total, items } = await store.connections(
			category,
			LIST_LIMIT,
			EXPIRING_WITHIN_HOURS,
			unusedDays,
		);
		connections[category] = items;
		counts[category] = total;
	}
	counts.connections = await store.countConnections();
	const tokens = await store.tokensExpiringWithin(tokenWarningDays);
	counts.tokens_expired = tokens.filter((token) => token.expired).length;
	counts.tokens_expiring = tokens.length - counts.tokens_expired;
	const titles = RULE_TITLES(config.alerts);
	const alerts = alertsStore(db);
	const open = await alerts.list('open', LIST_LIMIT);
	counts.open_alerts = (await alerts.countOpenByRule()).reduce((sum, row) => sum + row.count, 0);
	const needsAction =
		counts.expired +
			counts.refresh_errors +
			counts.needs_reauth +
			tokens.length +
			counts.open_alerts >
		0;
	return {
		generated_at: new Date(),
		needs_action: needsAction,
		thresholds: {
			expiring_within_hours: EXPIRING_WITHIN_HOURS,
			unused_days: unusedDays,
			token_warning_days: tokenWarningDays,
		},
		counts,
		connections,
		api_tokens: tokens,
		alerts: open.map((alert) => ({
			id: alert.id,
			rule: alert.rule,
			title: titles[alert.rule],
			subject: alert.subject,
			details: alert.details,
			first_seen_at: alert.first_seen_at,
			last_seen_at: alert.last_seen_at,
		})),
	};
}
