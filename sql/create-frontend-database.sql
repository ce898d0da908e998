-- Otobot Vault: the whole schema in one file. GENERATED from sql/migrations by
-- `otobot-vault schema-sql`; do not edit by hand.
-- Usage: psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/create-frontend-database.sql

-- psql stops at the first error, also when the file is run with \i in a session
\set ON_ERROR_STOP on
DO $$
BEGIN
	IF to_regclass('schema_migrations') IS NOT NULL THEN
		RAISE EXCEPTION 'The Otobot Vault schema already exists in database %; nothing was changed.', current_database()
			USING HINT = 'The vault applies later migrations itself when it starts (or: otobot-vault migrate).';
	END IF;
END
$$;

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

-- 0002_service_catalog
-- Otobot Vault: the service catalog. Endpoints and quirks of the services agencies connect most.
-- Each row still needs the agency's own OAuth app (oauth_client_id, oauth_client_secret), set
-- with PATCH /v1/services/:name; scopes are a sensible start, to adjust to what workflows need.
-- ON CONFLICT: a service an operator created before this migration keeps its own settings.
--
-- oauth_scopes stay space-separated (as in the original design's INSERT); scope_separator is how
-- the authorization request joins them. Quirks worth knowing:
--   google      offline access and a refresh token on every consent need access_type + prompt
--   microsoft   Entra ID v2, common tenant; refresh tokens only with the offline_access scope
--   slack       oauth.v2.access; comma-separated scopes; answers 200 {"ok": false} on errors
--   hubspot     the date-versioned token endpoint (v1 is retired in February 2027)
--   salesforce  answers carry no expires_in: the access token lives as long as the org's session
--               timeout (2 hours by default), so it is renewed every hour (keepalive)
--   notion      HTTP Basic client authentication and a JSON body; owner=user is required
--   airtable    PKCE is mandatory; refresh tokens rotate (single use)
--   dropbox     token_access_type=offline, or no refresh token is issued
--   xero, quickbooks, calendly  refresh tokens rotate
--   zoho        comma-separated scopes; offline access needs access_type + prompt
--   linkedin    refresh tokens only for apps LinkedIn enabled for them

INSERT INTO services (
	name, display_name, oauth_type, oauth_authorization_url, oauth_token_url, oauth_scopes,
	token_auth_method, token_request_format, scope_separator, authorization_params, token_params,
	pkce, refresh_lead_seconds, keepalive_interval_hours, test_url
) VALUES
	('google', 'Google', 'oauth2',
		'https://accounts.google.com/o/oauth2/v2/auth', 'https://oauth2.googleapis.com/token',
		'openid email profile',
		'client_secret_post', 'form', ' ', '{"access_type": "offline", "prompt": "consent"}', '{}',
		true, NULL, NULL, 'https://openidconnect.googleapis.com/v1/userinfo'),
	('microsoft', 'Microsoft (Entra ID)', 'oauth2',
		'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
		'https://login.microsoftonline.com/common/oauth2/v2.0/token',
		'offline_access openid profile email User.Read',
		'client_secret_post', 'form', ' ', '{}', '{}',
		true, NULL, NULL, 'https://graph.microsoft.com/v1.0/me'),
	('slack', 'Slack', 'oauth2',
		'https://slack.com/oauth/v2/authorize', 'https://slack.com/api/oauth.v2.access',
		'channels:read chat:write users:read',
		'client_secret_post', 'form', ',', '{}', '{}',
		false, NULL, NULL, 'https://slack.com/api/auth.test'),
	('hubspot', 'HubSpot', 'oauth2',
		'https://app.hubspot.com/oauth/authorize', 'https://api.hubapi.com/oauth/2026-03/token',
		'oauth crm.objects.contacts.read crm.objects.contacts.write',
		'client_secret_post', 'form', ' ', '{}', '{}',
		true, NULL, NULL, 'https://api.hubapi.com/account-info/v3/details'),
	('salesforce', 'Salesforce', 'oauth2',
		'https://login.salesforce.com/services/oauth2/authorize',
		'https://login.salesforce.com/services/oauth2/token',
		'api refresh_token',
		'client_secret_post', 'form', ' ', '{}', '{}',
		true, NULL, 1, NULL),
	('notion', 'Notion', 'oauth2',
		'https://api.notion.com/v1/oauth/authorize', 'https://api.notion.com/v1/oauth/token',
		NULL,
		'client_secret_basic', 'json', ' ', '{"owner": "user"}', '{}',
		false, NULL, NULL, 'https://api.notion.com/v1/users/me'),
	('github', 'GitHub', 'oauth2',
		'https://github.com/login/oauth/authorize', 'https://github.com/login/oauth/access_token',
		'repo read:user user:email',
		'client_secret_post', 'form', ' ', '{}', '{}',
		true, NULL, NULL, 'https://api.github.com/user'),
	('airtable', 'Airtable', 'oauth2',
		'https://airtable.com/oauth2/v1/authorize', 'https://airtable.com/oauth2/v1/token',
		'data.records:read data.records:write schema.bases:read',
		'client_secret_basic', 'form', ' ', '{}', '{}',
		true, NULL, NULL, 'https://api.airtable.com/v0/meta/whoami'),
	('dropbox', 'Dropbox', 'oauth2',
		'https://www.dropbox.com/oauth2/authorize', 'https://api.dropboxapi.com/oauth2/token',
		'account_info.read files.metadata.read files.content.read files.content.write',
		'client_secret_post', 'form', ' ', '{"token_access_type": "offline"}', '{}',
		true, NULL, NULL, NULL),
	('zoom', 'Zoom', 'oauth2',
		'https://zoom.us/oauth/authorize', 'https://zoom.us/oauth/token',
		NULL,
		'client_secret_basic', 'form', ' ', '{}', '{}',
		true, NULL, NULL, 'https://api.zoom.us/v2/users/me'),
	('pipedrive', 'Pipedrive', 'oauth2',
		'https://oauth.pipedrive.com/oauth/authorize', 'https://oauth.pipedrive.com/oauth/token',
		NULL,
		'client_secret_basic', 'form', ' ', '{}', '{}',
		false, NULL, NULL, 'https://api.pipedrive.com/v1/users/me'),
	('xero', 'Xero', 'oauth2',
		'https://login.xero.com/identity/connect/authorize', 'https://identity.xero.com/connect/token',
		'offline_access openid profile email accounting.contacts accounting.settings',
		'client_secret_basic', 'form', ' ', '{}', '{}',
		true, NULL, NULL, 'https://api.xero.com/connections'),
	('quickbooks', 'QuickBooks Online', 'oauth2',
		'https://appcenter.intuit.com/connect/oauth2',
		'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
		'com.intuit.quickbooks.accounting',
		'client_secret_basic', 'form', ' ', '{}', '{}',
		false, NULL, NULL, NULL),
	('linkedin', 'LinkedIn', 'oauth2',
		'https://www.linkedin.com/oauth/v2/authorization', 'https://www.linkedin.com/oauth/v2/accessToken',
		'openid profile email w_member_social',
		'client_secret_post', 'form', ' ', '{}', '{}',
		false, NULL, NULL, 'https://api.linkedin.com/v2/userinfo'),
	('calendly', 'Calendly', 'oauth2',
		'https://auth.calendly.com/oauth/authorize', 'https://auth.calendly.com/oauth/token',
		NULL,
		'client_secret_post', 'form', ' ', '{}', '{}',
		true, NULL, NULL, 'https://api.calendly.com/users/me'),
	('zoho', 'Zoho', 'oauth2',
		'https://accounts.zoho.com/oauth/v2/auth', 'https://accounts.zoho.com/oauth/v2/token',
		'ZohoCRM.modules.ALL ZohoCRM.settings.ALL',
		'client_secret_post', 'form', ',', '{"access_type": "offline", "prompt": "consent"}', '{}',
		false, NULL, NULL, NULL),
	('openai', 'OpenAI', 'api_key', NULL, NULL, NULL,
		'client_secret_post', 'form', ' ', '{}', '{}', false, NULL, NULL, 'https://api.openai.com/v1/models'),
	('stripe', 'Stripe', 'api_key', NULL, NULL, NULL,
		'client_secret_post', 'form', ' ', '{}', '{}', false, NULL, NULL, 'https://api.stripe.com/v1/balance'),
	('sendgrid', 'SendGrid', 'api_key', NULL, NULL, NULL,
		'client_secret_post', 'form', ' ', '{}', '{}', false, NULL, NULL, 'https://api.sendgrid.com/v3/scopes'),
	-- Mailchimp's API host names the account's data centre (the key's suffix), so no fixed test URL
	('mailchimp', 'Mailchimp', 'api_key', NULL, NULL, NULL,
		'client_secret_post', 'form', ' ', '{}', '{}', false, NULL, NULL, NULL),
	('brevo', 'Brevo', 'api_key', NULL, NULL, NULL,
		'client_secret_post', 'form', ' ', '{}', '{}', false, NULL, NULL, 'https://api.brevo.com/v3/account')
ON CONFLICT (name) DO NOTHING;

INSERT INTO schema_migrations (version, name) VALUES (2, 'service_catalog');

-- 0003_connect_flow
-- Otobot Vault: the connect flow. An operator sends a client a connect link; the client opens it,
-- signs in at the provider, and the provider's callback stores the tokens on the connection.
-- Neither a link token nor an OAuth state is stored: only their SHA-256, so a copy of the
-- database cannot open a link or answer a callback.

CREATE TABLE connect_links (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	token_hash bytea NOT NULL UNIQUE,
	client_id text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	service text NOT NULL REFERENCES services (name) ON UPDATE CASCADE ON DELETE CASCADE,
	-- the API token that created the link (its id, never its value)
	created_by text,
	expires_at timestamptz NOT NULL,
	-- set once a connection was completed through the link; the link is refused after that
	completed_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connect_links_client_service ON connect_links (client_id, service);
CREATE INDEX connect_links_expires_at ON connect_links (expires_at);

-- One row per opening of a link: the state sent to the provider (RFC 6749 §10.12), single use.
CREATE TABLE oauth_states (
	state_hash bytea PRIMARY KEY,
	-- the hash as text: how key rotation addresses the row and binds the verifier to it
	state_id text GENERATED ALWAYS AS (encode(state_hash, 'hex')) STORED,
	link_id uuid NOT NULL REFERENCES connect_links (id) ON DELETE CASCADE,
	-- the PKCE code_verifier (RFC 7636 §4.1), encrypted and bound to this state_hash; NULL when
	-- the service does not use PKCE
	code_verifier_ciphertext bytea,
	expires_at timestamptz NOT NULL,
	used_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_states_link ON oauth_states (link_id);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);

INSERT INTO schema_migrations (version, name) VALUES (3, 'connect_flow');

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

-- 0005_audit_append
-- Appending to the audit log in one statement: the chain head is locked, each row's hash computed
-- from the previous one, the rows inserted, the head moved and the batch's last-use marks set,
-- all on the server. A group commit then costs one round trip, and the head's lock is held only
-- for the server's own work, never while the vault's event loop is busy.
--
-- Each entry is {"row": {...columns...}, "content": "<canonical JSON of the columns>"}; the hash
-- is SHA-256 of "<previous hash in hex>\n<id>\n<content>" (domain/audit-chain.ts verifies it).

CREATE FUNCTION audit_append(entries jsonb, used_connections jsonb, used_tokens uuid[])
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	head_id bigint;
	head_hash bytea;
	first_id bigint;
	content text;
	hashes bytea[] := '{}';
BEGIN
	SELECT last_id, last_hash INTO head_id, head_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE;
	first_id := head_id + 1;
	-- the chain is sequential: hash in a loop, then insert every row in one statement
	hashes := array_append(hashes, head_hash);
	FOR content IN SELECT value ->> 'content' FROM jsonb_array_elements(entries) WITH ORDINALITY AS e(value, n) ORDER BY n LOOP
		head_id := head_id + 1;
		head_hash := sha256(convert_to(encode(head_hash, 'hex') || E'\n' || head_id::text || E'\n' || content, 'UTF8'));
		hashes := array_append(hashes, head_hash);
	END LOOP;
	INSERT INTO audit_log (id, occurred_at, request_id, actor_id, actor_name, action, client_id,
		service, status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id,
		details, prev_hash, hash)
	SELECT first_id + e.n - 1, r.occurred_at, r.request_id, r.actor_id, r.actor_name, r.action,
		r.client_id, r.service, r.status_code, r.error_code, r.ip, r.user_agent, r.duration_ms,
		r.workflow_id, r.execution_id, r.details, hashes[e.n], hashes[e.n + 1]
	FROM jsonb_array_elements(entries) WITH ORDINALITY AS e(value, n),
		jsonb_to_record(e.value -> 'row') AS r(occurred_at timestamptz, request_id text,
			actor_id text, actor_name text, action text, client_id text, service text,
			status_code integer, error_code text, ip text, user_agent text,
			duration_ms double precision, workflow_id text, execution_id text, details jsonb);
	UPDATE audit_chain_head SET last_id = head_id, last_hash = head_hash WHERE id = 1;

	-- last-use marks: a row held by a refresh or a rewrap is skipped, never waited for
	IF jsonb_array_length(used_connections) > 0 THEN
		UPDATE connections k SET last_used_at = now()
		FROM (SELECT c.client_id, c.service FROM connections c
			JOIN jsonb_to_recordset(used_connections) AS u(client_id text, service text)
			  ON c.client_id = u.client_id AND c.service = u.service
			FOR UPDATE OF c SKIP LOCKED) AS l
		WHERE k.client_id = l.client_id AND k.service = l.service;
	END IF;
	IF cardinality(used_tokens) > 0 THEN
		UPDATE api_tokens SET last_used_at = now() WHERE id = ANY (used_tokens);
	END IF;
	RETURN head_id;
END;
$$;

INSERT INTO schema_migrations (version, name) VALUES (5, 'audit_append');

-- 0006_audit_append_contents
-- Audit rows travel once. `contents` is a JSON array of strings, each the canonical JSON text of
-- a row's content: the text is what gets hashed, and the row's columns are read from it. 0005's
-- entries carried every row twice ({"row": ..., "content": ...}); this halves the bytes of a
-- group commit and spares the vault one JSON encoding per row. 0005's function stays for vaults
-- of the previous version still running during an upgrade.
--
-- The hash is unchanged: SHA-256 of "<previous hash in hex>\n<id>\n<content>".

CREATE FUNCTION audit_append_contents(contents json, used_connections jsonb, used_tokens uuid[])
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	head_id bigint;
	head_hash bytea;
	first_id bigint;
	content text;
	texts text[];
	hashes bytea[];
BEGIN
	texts := ARRAY(SELECT e.value FROM json_array_elements_text(contents) WITH ORDINALITY AS e(value, n) ORDER BY e.n);
	SELECT last_id, last_hash INTO head_id, head_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE;
	first_id := head_id + 1;
	hashes := ARRAY[head_hash];
	FOREACH content IN ARRAY texts LOOP
		head_id := head_id + 1;
		head_hash := sha256(convert_to(encode(head_hash, 'hex') || E'\n' || head_id::text || E'\n' || content, 'UTF8'));
		hashes := hashes || head_hash;
	END LOOP;
	INSERT INTO audit_log (id, occurred_at, request_id, actor_id, actor_name, action, client_id,
		service, status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id,
		details, prev_hash, hash)
	SELECT first_id + e.n - 1, r.occurred_at, r.request_id, r.actor_id, r.actor_name, r.action,
		r.client_id, r.service, r.status_code, r.error_code, r.ip, r.user_agent, r.duration_ms,
		r.workflow_id, r.execution_id, r.details, hashes[e.n], hashes[e.n + 1]
	FROM unnest(texts) WITH ORDINALITY AS e(content, n),
		jsonb_to_record(e.content::jsonb) AS r(occurred_at timestamptz, request_id text,
			actor_id text, actor_name text, action text, client_id text, service text,
			status_code integer, error_code text, ip text, user_agent text,
			duration_ms double precision, workflow_id text, execution_id text, details jsonb);
	UPDATE audit_chain_head SET last_id = head_id, last_hash = head_hash WHERE id = 1;

	-- last-use marks: a row held by a refresh or a rewrap is skipped, never waited for
	IF jsonb_array_length(used_connections) > 0 THEN
		UPDATE connections k SET last_used_at = now()
		FROM (SELECT c.client_id, c.service FROM connections c
			JOIN jsonb_to_recordset(used_connections) AS u(client_id text, service text)
			  ON c.client_id = u.client_id AND c.service = u.service
			FOR UPDATE OF c SKIP LOCKED) AS l
		WHERE k.client_id = l.client_id AND k.service = l.service;
	END IF;
	IF cardinality(used_tokens) > 0 THEN
		UPDATE api_tokens SET last_used_at = now() WHERE id = ANY (used_tokens);
	END IF;
	RETURN head_id;
END;
$$;

INSERT INTO schema_migrations (version, name) VALUES (6, 'audit_append_contents');

-- 0007_fetch_cache_notify
-- The vault processes keep the connection rows that credential fetches read (ciphertext only,
-- never a decrypted secret) in memory. Every change that can alter a fetch's answer announces
-- itself on the channel otobot_fetch_cache once committed: the payload '<client_id>/<service>'
-- names one connection, '*' means everything. Client ids and service names never contain '/'.
--
-- last_used_at moves with every group commit of the audit log and changes no answer: an update
-- that changes nothing else announces nothing.

CREATE FUNCTION announce_connection_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM pg_notify('otobot_fetch_cache', OLD.client_id || '/' || OLD.service);
		RETURN NULL;
	END IF;
	IF TG_OP = 'UPDATE' AND (OLD.client_id, OLD.service) IS DISTINCT FROM (NEW.client_id, NEW.service) THEN
		PERFORM pg_notify('otobot_fetch_cache', OLD.client_id || '/' || OLD.service);
	END IF;
	PERFORM pg_notify('otobot_fetch_cache', NEW.client_id || '/' || NEW.service);
	RETURN NULL;
END;
$$;

CREATE FUNCTION announce_all_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pg_notify('otobot_fetch_cache', '*');
	RETURN NULL;
END;
$$;

CREATE TRIGGER connections_announce_write
	AFTER INSERT OR DELETE ON connections
	FOR EACH ROW EXECUTE FUNCTION announce_connection_change();

CREATE TRIGGER connections_announce_update
	AFTER UPDATE ON connections
	FOR EACH ROW
	WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
	EXECUTE FUNCTION announce_connection_change();

-- the fetch reads the client's existence and the service's type; both change rarely
CREATE TRIGGER connections_announce_truncate
	AFTER TRUNCATE ON connections
	FOR EACH STATEMENT EXECUTE FUNCTION announce_all_changed();

CREATE TRIGGER clients_announce_change
	AFTER UPDATE OR DELETE OR TRUNCATE ON clients
	FOR EACH STATEMENT EXECUTE FUNCTION announce_all_changed();

CREATE TRIGGER services_announce_change
	AFTER UPDATE OR DELETE OR TRUNCATE ON services
	FOR EACH STATEMENT EXECUTE FUNCTION announce_all_changed();

INSERT INTO schema_migrations (version, name) VALUES (7, 'fetch_cache_notify');

-- 0012_refresh_lease
-- A refresh calls the provider with no transaction open: the right to call it for one connection
-- is a lease in the connection's row, taken with a compare-and-set and released when the answer is
-- stored. A holder that crashes leaves a lease that expires on its own (the token endpoint's
-- timeout plus a margin), so no connection stays locked.
ALTER TABLE connections
	ADD COLUMN refresh_lease_until timestamptz,
	ADD COLUMN refresh_lease_owner text;

-- Taking and giving back a lease changes no fetch's answer: like last_used_at, it announces nothing
-- on otobot_fetch_cache (0007), so a refresh does not empty every process's fetch cache twice.
DROP TRIGGER connections_announce_update ON connections;
CREATE TRIGGER connections_announce_update
	AFTER UPDATE ON connections
	FOR EACH ROW
	WHEN ((to_jsonb(OLD) - 'last_used_at' - 'refresh_lease_until' - 'refresh_lease_owner')
		IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at' - 'refresh_lease_until' - 'refresh_lease_owner'))
	EXECUTE FUNCTION announce_connection_change();

INSERT INTO schema_migrations (version, name) VALUES (12, 'refresh_lease');

COMMIT;
