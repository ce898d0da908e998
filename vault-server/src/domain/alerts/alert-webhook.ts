import type { AlertRow } from '../../storage/alerts-store.js';

export type AlertEvent = 'alert.opened' | 'alert.resolved';

/**
 * What an alert event tells its webhook subscriptions (domain/webhooks): the alert's public
 * fields, never a secret. The delivery adds the event name, its id and the audit chain's head
 * at sending time (`audit_head`: id and hex hash), so the receiver keeps a copy the database
 * cannot rewrite (`otobot-vault audit verify --expect-head ID:HASH`).
 */
export function alertEventData(event: AlertEvent, alert: AlertRow, title: string) {
	return {
		alert: {
			id: alert.id,
			rule: alert.rule,
			title,
			subject: alert.subject,
			client_id: alert.client_id,
			service: alert.service,
			status: event === 'alert.opened' ? 'open' : 'resolved',
			details: alert.details,
			first_seen_at: alert.first_seen_at,
			last_seen_at: alert.last_seen_at,
			resolved_at: event === 'alert.resolved' ? alert.resolved_at : null,
		},
	};
}
