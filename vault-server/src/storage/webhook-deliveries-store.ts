import type { Queryable } from './database.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export type AttemptErrorClass =
	| 'http_status'
	| 'timeout'
	| 'network'
	| 'private_address'
	| 'too_large';

/** A delivery a worker claimed: what to send and where. */
export interface ClaimedDelivery {
	id: number;
	delivery_id: string;
	webhook_id: string;
	event: string;
	payload: Record<string, unknown>;
	attempts: number;
	created_at: Date;
	url: string;
	secret_ciphertext: Uint8Array | null;
}

export interface AttemptRow {
	attempted_at: Date;
	http_status: number | null;
	error_class: AttemptErrorClass | null;
	duration_ms: number;
	excerpt: string | null;
}

export interface DeliveryRow {
	id: number;
	delivery_id: string;
	event: string;
	status: DeliveryStatus;
	attempts: number;
	next_attempt_at: Date | null;
	created_at: Date;
	finished_at: Date | null;
	attempt_log: AttemptRow[];
}

export interface AttemptRecord {
	httpStatus: number | null;
	errorClass: AttemptErrorClass | null;
	durationMs: number;
	excerpt: string | null;
	/** The delivery's outcome after this attempt; `pending` with the time of the next one. */
	outcome: { status: 'delivered' | 'failed' } | { status: 'pending'; nextAttemptAt: Date };
}

/**
 * Optional matching for an event: refresh_failing goes to the subscriptions whose threshold the
 * consecutive failures crossed, from `before` (below it) to `after` (at or above it).
 */
export interface EnqueueFilter {
	refreshFailures?: { before: number; after: number };
}

/** The `webhook_deliveries` outbox and its `webhook_attempts` log (migration 0016). */
export function webhookDeliveriesStore(db: Queryable) {
	return {
		/**
		 * Queues `event` for every subscription to it, in the caller's transaction. With
		 * `refreshFailures`, only subscriptions whose threshold lies in (before, after]: the count went
		 * from below it to at or above it, by one or by a jump, so each hears once per run of
		 * failures. Returns how many deliveries were queued.
		 */
		async enqueue(event: string, payload: object, filter: EnqueueFilter = {}): Promise<number> {
			const rows = await db.query(
				`INSERT INTO webhook_deliveries (webhook_id, event, payload)
				 SELECT id, $1, $2::jsonb FROM webhooks
				 WHERE $1 = ANY(events)
				   AND ($3::int IS NULL OR (refresh_failures > $3::int AND refresh_failures <= $4::int))
				 RETURNING id`,
				[
					event,
					payload,
					filter.refreshFailures?.before ?? null,
					filter.refreshFailures?.after ?? null,
				],
			);
			return rows.length;
		},

		/**
		 * Claims up to `limit` due deliveries for `leaseMs` (rows another worker holds are skipped),
		 * oldest first, with their subscription's URL and sealed secret.
		 */
		async claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
			return db.query<ClaimedDelivery>(
				`WITH due AS (
					SELECT id FROM webhook_deliveries
					WHERE status = 'pending' AND next_attempt_at <= now()
					  AND (leased_until IS NULL OR leased_until < now())
					ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
				), claimed AS (
					UPDATE webhook_deliveries d
					SET leased_until = now() + make_interval(secs => $2::double precision)
					FROM due WHERE d.id = due.id
					RETURNING d.id, d.delivery_id, d.webhook_id, d.event, d.payload, d.attempts, d.created_at
				)
				SELECT claimed.*, w.url, w.secret_ciphertext
				FROM claimed JOIN webhooks w ON w.id = claimed.webhook_id ORDER BY claimed.id`,
				[limit, leaseMs / 1000],
			);
		},

		/** Logs one attempt and moves the delivery on (delivered, failed, or pending until later). */
		async recordAttempt(id: number, attempt: AttemptRecord): Promise<void> {
			await db.query(
				`INSERT INTO webhook_attempts (delivery_id, http_status, error_class, duration_ms, excerpt)
				 SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = $1)`,
				[id, attempt.httpStatus, attempt.errorClass, attempt.durationMs, attempt.excerpt],
			);
			const { outcome } = attempt;
			await db.query(
				`UPDATE webhook_deliveries SET attempts = attempts + 1, leased_until = NULL,
					status = $2, next_attempt_at = COALESCE($3, next_attempt_at),
					finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END
				 WHERE id = $1`,
				[id, outcome.status, outcome.status === 'pending' ? outcome.nextAttemptAt : null],
			);
		},

		/**
		 * One page of a subscription's deliveries, newest first, each with its attempts in order:
		 * those with an id below `before` (keyset pagination), at most `limit`.
		 */
		async listForWebhook(
			webhookId: string,
			before: number | undefined,
			limit: number,
		): Promise<DeliveryRow[]> {
			return db.query<DeliveryRow>(
				`SELECT d.id::int AS id, d.delivery_id, d.event, d.status, d.attempts,
					CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at,
					d.created_at, d.finished_at,
					COALESCE((SELECT jsonb_agg(jsonb_build_object(
						'attempted_at', a.attempted_at, 'http_status', a.http_status,
						'error_class', a.error_class, 'duration_ms', a.duration_ms, 'excerpt', a.excerpt
					) ORDER BY a.id) FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]') AS attempt_log
				 FROM webhook_deliveries d
				 WHERE d.webhook_id = $1 AND ($2::bigint IS NULL OR d.id < $2::bigint)
				 ORDER BY d.id DESC LIMIT $3`,
				[webhookId, before ?? null, limit],
			);
		},
	};
}
