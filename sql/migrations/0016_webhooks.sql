-- Webhook subscriptions (issue 16 §4): who is told of which vault events, the outbox of events
-- to deliver (written in the transaction of the change they report), and each delivery attempt.

-- One receiver. The secret signs deliveries (HMAC-SHA-256); it is stored sealed with the keyring
-- and never answered. `origin` 'alert_webhook_url' marks the one subscription ALERT_WEBHOOK_URL
-- keeps in step at start (at most one such row).
CREATE TABLE webhooks (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	url text NOT NULL,
	events text[] NOT NULL CHECK (cardinality(events) > 0),
	secret_ciphertext bytea,
	-- connection.refresh_failing fires when a connection's consecutive failures reach this
	refresh_failures integer NOT NULL DEFAULT 3 CHECK (refresh_failures BETWEEN 1 AND 1000),
	origin text NOT NULL DEFAULT 'api' CHECK (origin IN ('api', 'alert_webhook_url')),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX webhooks_one_alert_webhook_url ON webhooks (origin)
	WHERE origin = 'alert_webhook_url';

-- The outbox: one row per event and subscription. `payload` is the event's public data (never a
-- secret); `delivery_id` is the X-Otobot-Delivery a receiver dedupes on. A worker claims due rows
-- with a lease (FOR UPDATE SKIP LOCKED), so several processes never send one row at once.
CREATE TABLE webhook_deliveries (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	delivery_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
	event text NOT NULL,
	payload jsonb NOT NULL,
	status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	leased_until timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id DESC);

-- Each POST of a delivery: the receiver's status or the error class, how long it took, and at
-- most a short sanitized excerpt of the answer (never the secret, never the whole body).
CREATE TABLE webhook_attempts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	attempted_at timestamptz NOT NULL DEFAULT now(),
	http_status integer,
	error_class text CHECK (error_class IN
		('http_status', 'timeout', 'network', 'private_address', 'too_large')),
	duration_ms integer NOT NULL CHECK (duration_ms >= 0),
	excerpt text CHECK (length(excerpt) <= 200)
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- api_token.expiring is sent once per token: when it was queued.
ALTER TABLE api_tokens ADD COLUMN expiring_event_at timestamptz;
