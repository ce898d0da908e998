import type { Queryable } from '../../storage/database.js';
import {
	webhookDeliveriesStore,
	type EnqueueFilter,
} from '../../storage/webhook-deliveries-store.js';

/** The vault events a webhook subscription may ask for (issue 16 §4). */
export const WEBHOOK_EVENTS = [
	'connection.needs_reauth',
	'connection.refresh_failing',
	'connection.connected',
	'alert.opened',
	'alert.resolved',
	'api_token.expiring',
] as const;

export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** What a connection event tells: who, and the state the change left (never a secret). */
export interface ConnectionEventData {
	client_id: string;
	service: string;
	status: string;
	refresh_failures: number;
	last_error: string | null;
}

/**
 * Queues `event` for each subscription to it, in `q`'s transaction: the event is kept exactly when
 * the change it reports is (an outbox), and the delivery worker sends it after the commit.
 * `data` is merged into the delivered JSON beside `event`, `id`, `occurred_at` and `audit_head`;
 * it must hold no secret. Returns the number of deliveries queued.
 */
export async function emitWebhookEvent(
	q: Queryable,
	event: WebhookEvent,
	data: Record<string, unknown>,
	filter: EnqueueFilter = {},
): Promise<number> {
	return webhookDeliveriesStore(q).enqueue(
		event,
		{ ...data, occurred_at: new Date().toISOString() },
		filter,
	);
}

/**
 * Queues the events of a connection whose refresh failed: `connection.needs_reauth` when it went
 * to needs_reauth, and `connection.refresh_failing` for the subscriptions whose threshold the
 * consecutive failures crossed: from `failuresBefore` (below it) to `refresh_failures` after the
 * change (at or above it). `failuresBefore` defaults to one less, as each failure counts one; a
 * count that jumps past a threshold still reaches its subscriptions, once.
 */
export async function emitRefreshFailureEvents(
	q: Queryable,
	connection: ConnectionEventData,
	failuresBefore = connection.refresh_failures - 1,
): Promise<void> {
	if (connection.status === 'needs_reauth')
		await emitWebhookEvent(q, 'connection.needs_reauth', { connection });
	await emitWebhookEvent(
		q,
		'connection.refresh_failing',
		{ connection },
		{ refreshFailures: { before: failuresBefore, after: connection.refresh_failures } },
	);
}
