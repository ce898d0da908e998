-- Otobot Vault: alerts, the critical errors they count, and the indexes of the monitoring summary.

-- One row per time a rule fired for a subject (a connection 'client/service', or 'vault/<kind>').
CREATE TABLE alerts (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	rule text NOT NULL
		CHECK (rule IN ('connection_expired', 'refresh_failing', 'connection_unused', 'critical_errors')),
	subject text NOT NULL,
	client_id text,
	service text,
	status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
	-- what the rule saw (counts, dates, the last provider error); never a secret
	details jsonb NOT NULL DEFAULT '{}',
	first_seen_at timestamptz NOT NULL DEFAULT now(),
	last_seen_at timestamptz NOT NULL DEFAULT now(),
	resolved_at timestamptz,
	-- the webhook outbox: set once the open / resolve notification was delivered
	open_notified_at timestamptz,
	resolve_notified_at timestamptz
);
-- at most one open alert per rule and subject; a resolved one may fire again later
CREATE UNIQUE INDEX alerts_one_open ON alerts (rule, subject) WHERE status = 'open';
CREATE INDEX alerts_status_id ON alerts (status, id DESC);
CREATE INDEX alerts_unnotified ON alerts (id)
	WHERE open_notified_at IS NULL OR (status = 'resolved' AND resolve_notified_at IS NULL);

-- Critical API errors (decryption failures, database errors, audit write failures), counted per
-- process as they happen and written in batches: an audit write failure cannot be in the audit log.
CREATE TABLE critical_errors (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind text NOT NULL,
	count integer NOT NULL CHECK (count > 0),
	first_at timestamptz NOT NULL,
	last_at timestamptz NOT NULL
);
CREATE INDEX critical_errors_last_at ON critical_errors (last_at);

-- The alert evaluator's lease: one evaluation at a time across processes, at a bounded rate.
CREATE TABLE alert_evaluations (
	id integer PRIMARY KEY CHECK (id = 1),
	last_run_at timestamptz NOT NULL
);
INSERT INTO alert_evaluations (id, last_run_at) VALUES (1, '-infinity');

-- the monitoring summary's queries
CREATE INDEX connections_refresh_failures ON connections (refresh_failures) WHERE refresh_failures > 0;
CREATE INDEX connections_not_active ON connections (status) WHERE status <> 'active';
CREATE INDEX connections_last_use ON connections ((COALESCE(last_used_at, created_at)));
CREATE INDEX api_tokens_expires_at ON api_tokens (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL;
