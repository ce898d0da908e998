-- Otobot Vault: the whole schema in one file. GENERATED from sql/migrations by
-- `otobot-vault schema-sql`; do not edit by hand.
-- Usage: psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/create-frontend-database.sql

BEGIN;

CREATE TABLE IF NOT EXISTS schema_migrations (
	version integer PRIMARY KEY,
	name text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
);

-- 0001_initial
-- Otobot Vault: initial schema.
-- Secrets are encrypted by the vault (AES-256-GCM) before they reach these tables; the database
-- never sees a plaintext token, key or password.

CREATE TABLE encryption_keys (
	version integer PRIMARY KEY CHECK (version > 0),
	-- the data key, encrypted under ENCRYPTION_MASTER_KEY
	wrapped_key bytea NOT NULL,
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'decrypt_only', 'retired')),
	created_at timestamptz NOT NULL DEFAULT now(),
	retired_at timestamptz
);
-- at most one key version encrypts new data
CREATE UNIQUE INDEX encryption_keys_single_active ON encryption_keys ((status)) WHERE status = 'active';

CREATE TABLE clients (
	id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	email text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE services (
	name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
	display_name text NOT NULL,
	oauth_type text NOT NULL DEFAULT 'oauth2'
		CHECK (oauth_type IN ('oauth2', 'oauth2_client_credentials', 'api_key', 'basic')),
	oauth_authorization_url text,
	oauth_token_url text,
	-- space-separated, as in the original design's INSERT
	oauth_scopes text,
	-- the agency's OAuth app for this service
	oauth_client_id text,
	oauth_client_secret_ciphertext bytea,
	token_auth_method text NOT NULL DEFAULT 'client_secret_post'
		CHECK (token_auth_method IN ('client_secret_post', 'client_secret_basic', 'none')),
	token_request_format text NOT NULL DEFAULT 'form' CHECK (token_request_format IN ('form', 'json')),
	scope_separator text NOT NULL DEFAULT ' ',
	authorization_params jsonb NOT NULL DEFAULT '{}',
	token_params jsonb NOT NULL DEFAULT '{}',
	pkce boolean NOT NULL DEFAULT true,
	refresh_lead_seconds integer CHECK (refresh_lead_seconds BETWEEN 0 AND 86400),
	keepalive_interval_hours integer CHECK (keepalive_interval_hours BETWEEN 1 AND 8760),
	test_url text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE connections (
	client_id text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	service text NOT NULL REFERENCES services (name) ON UPDATE CASCADE,
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'needs_reauth', 'disabled')),
	-- access token, API key or login, as one encrypted JSON document bound to (client, service)
	credential_ciphertext bytea NOT NULL,
	-- kept apart so a fetch never decrypts it
	refresh_token_ciphertext bytea,
	-- the key version of both ciphertexts above (rewrap rewrites them together)
	key_version integer NOT NULL REFERENCES encryption_keys (version),
	token_type text,
	scopes text[] NOT NULL DEFAULT '{}',
	expires_at timestamptz,
	metadata jsonb NOT NULL DEFAULT '{}',
	last_used_at timestamptz,
	last_refreshed_at timestamptz,
	next_refresh_at timestamptz,
	refresh_failures integer NOT NULL DEFAULT 0,
	last_error text,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (client_id, service)
);
CREATE INDEX connections_service ON connections (service);
CREATE INDEX connections_key_version ON connections (key_version);
-- the refresher's due-query reads only what is due
CREATE INDEX connections_next_refresh ON connections (next_refresh_at)
	WHERE next_refresh_at IS NOT NULL AND status = 'active';
CREATE INDEX connections_expires_at ON connections (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE api_tokens (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name text NOT NULL,
	scope text NOT NULL CHECK (scope IN ('admin', 'read')),
	-- SHA-256 of the token; the token itself is shown once and never stored
	token_hash bytea NOT NULL UNIQUE,
	token_prefix text NOT NULL,
	-- NULL: every client; otherwise the only clients a read token may touch
	clients text[],
	expires_at timestamptz,
	revoked_at timestamptz,
	last_used_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
	id bigint PRIMARY KEY,
	occurred_at timestamptz NOT NULL,
	request_id text,
	actor_id text,
	actor_name text,
	action text NOT NULL,
	client_id text,
	service text,
	status_code integer,
	error_code text,
	ip text,
	user_agent text,
	duration_ms double precision,
	workflow_id text,
	execution_id text,
	details jsonb,
	prev_hash bytea NOT NULL,
	hash bytea NOT NULL
);
CREATE INDEX audit_log_client_service ON audit_log (client_id, service, id DESC);
CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at);

-- The head of the audit hash chain. Writers lock this row, so rows are chained in one order
-- across every vault process, and a deleted last row is still detected.
CREATE TABLE audit_chain_head (
	id integer PRIMARY KEY CHECK (id = 1),
	last_id bigint NOT NULL,
	last_hash bytea NOT NULL
);
INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, '\x'::bytea);

INSERT INTO schema_migrations (version, name) VALUES (1, 'initial');

-- 0004_alerts
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

INSERT INTO schema_migrations (version, name) VALUES (4, 'alerts');

COMMIT;
