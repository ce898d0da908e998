import type { Queryable } from './database.js';

export type WebhookOrigin = 'api' | 'alert_webhook_url';

export interface WebhookRow {
	id: string;
	url: string;
	events: string[];
	secret_ciphertext: Uint8Array | null;
	refresh_failures: number;
	origin: WebhookOrigin;
	created_at: Date;
}

export interface WebhookFields {
	url: string;
	events: string[];
	secretCiphertext: Uint8Array | null;
	refreshFailures: number;
}

/** The `webhooks` table (migration 0016): the subscriptions to vault events. */
export function webhooksStore(db: Queryable) {
	return {
		/** Inserts a subscription with the id the caller chose (its secret is sealed to that id). */
		async insert(id: string, fields: WebhookFields): Promise<WebhookRow> {
			const [row] = await db.query<WebhookRow>(
				`INSERT INTO webhooks (id, url, events, secret_ciphertext, refresh_failures)
				 VALUES ($1, $2, $3::text[], $4, $5) RETURNING *`,
				[id, fields.url, fields.events, fields.secretCiphertext, fields.refreshFailures],
			);
			return row!;
		},

		/**
		 * Makes the one `alert_webhook_url` subscription say what ALERT_WEBHOOK_URL says: inserted,
		 * updated in place (its delivery log kept), or removed when `fields` is undefined.
		 */
		async syncAlertWebhookUrl(id: string, fields: WebhookFields | undefined): Promise<void> {
			if (!fields) {
				await db.query(`DELETE FROM webhooks WHERE origin = 'alert_webhook_url'`);
				return;
			}
			await db.query(
				`INSERT INTO webhooks (id, url, events, secret_ciphertext, refresh_failures, origin)
				 VALUES ($1, $2, $3::text[], $4, $5, 'alert_webhook_url')
				 ON CONFLICT (origin) WHERE origin = 'alert_webhook_url' DO UPDATE SET
					url = EXCLUDED.url, events = EXCLUDED.events,
					secret_ciphertext = EXCLUDED.secret_ciphertext`,
				[id, fields.url, fields.events, fields.secretCiphertext, fields.refreshFailures],
			);
		},

		async alertWebhookUrlId(): Promise<string | undefined> {
			const [row] = await db.query<{ id: string }>(
				`SELECT id FROM webhooks WHERE origin = 'alert_webhook_url'`,
			);
			return row?.id;
		},

		async get(id: string): Promise<WebhookRow | undefined> {
			const [row] = await db.query<WebhookRow>(`SELECT * FROM webhooks WHERE id = $1`, [id]);
			return row;
		},

		async list(): Promise<WebhookRow[]> {
			return db.query<WebhookRow>(`SELECT * FROM webhooks ORDER BY created_at, id`);
		},

		/** Deletes a subscription and its delivery log; false when there was none. */
		async delete(id: string): Promise<boolean> {
			const rows = await db.query(`DELETE FROM webhooks WHERE id = $1 RETURNING id`, [id]);
			return rows.length > 0;
		},
	};
}
