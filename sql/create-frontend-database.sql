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

-- 0008_audit_keyed_chain
-- A keyed audit chain (issue 13, item 5). Until now each row's hash was SHA-256 of
-- "<previous hash hex>\n<id>\n<content>", computed here in SQL: anyone able to run SQL could edit
-- a row and recompute every hash after it. From this migration on the vault computes each hash
-- itself, as HMAC-SHA-256 under a key derived (HKDF) from a data key, which only the master key
-- opens (domain/audit-chain.ts). The key never reaches the database: the statement below carries
-- the hashes, never the key.
--
-- * chain_key_version: the data key version whose derived key made the row's HMAC; NULL for the
--   SHA-256 rows written before this migration, which keep verifying as they are.
-- * audit_chain_head.keyed_from: the first id that must be keyed. A SHA-256 row at or after it is
--   a forgery. A fresh database starts keyed at row 1.
-- * UPDATE, DELETE and TRUNCATE on audit_log are refused by triggers; the only way to remove rows
--   is audit_remove_before(), which leaves a checkpoint the verifier starts from. The head never
--   moves back. (A superuser can disable triggers: the HMAC, and a head exported elsewhere, are
--   what catch that. docs/RELIABILITY.md says what the chain proves.)

ALTER TABLE audit_log ADD COLUMN chain_key_version integer;
ALTER TABLE audit_chain_head ADD COLUMN keyed_from bigint;
UPDATE audit_chain_head SET keyed_from = last_id + 1 WHERE id = 1;
ALTER TABLE audit_chain_head ALTER COLUMN keyed_from SET NOT NULL;

-- Where retention cut the log: the last removed row's id and hash, so the rows after it verify.
CREATE TABLE audit_checkpoints (
	id bigint PRIMARY KEY,
	hash bytea NOT NULL,
	rows_removed bigint NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF TG_TABLE_NAME = 'audit_log' AND TG_OP = 'DELETE'
		AND current_setting('otobot.audit_remove', true) = 'on' THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION '% on % is refused: the audit log is append-only', TG_OP, TG_TABLE_NAME
		USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE FUNCTION audit_head_forward_only() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF NEW.last_id < OLD.last_id OR NEW.keyed_from IS DISTINCT FROM OLD.keyed_from
		OR (NEW.last_id = OLD.last_id AND NEW.last_hash IS DISTINCT FROM OLD.last_hash) THEN
		RAISE EXCEPTION 'the audit chain head only moves forward'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END;
$$;

CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE ON audit_chain_head
	FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Appends rows the vault has already chained. The head is locked first; when it is not where the
-- vault believed (another process appended meanwhile, or the vault's own last append rolled
-- back), nothing is written and the current head comes back for the vault to chain again.
-- `hashes` holds one hex HMAC per content; `appended` tells which case happened.
CREATE FUNCTION audit_append_keyed(expected_id bigint, expected_hash text, key_version integer,
	contents json, hashes json, used_connections jsonb, used_tokens uuid[])
RETURNS TABLE (last_id bigint, last_hash text, appended boolean)
LANGUAGE plpgsql
AS $$
DECLARE
	head_id bigint;
	head_hash bytea;
	new_hashes bytea[];
BEGIN
	SELECT h.last_id, h.last_hash INTO head_id, head_hash FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
	IF head_id <> expected_id OR encode(head_hash, 'hex') <> expected_hash THEN
		RETURN QUERY SELECT head_id, encode(head_hash, 'hex'), false;
		RETURN;
	END IF;
	new_hashes := ARRAY[head_hash] || ARRAY(SELECT decode(e.value, 'hex')
		FROM json_array_elements_text(hashes) WITH ORDINALITY AS e(value, n) ORDER BY e.n);
	INSERT INTO audit_log (id, occurred_at, request_id, actor_id, actor_name, action, client_id,
		service, status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id,
		details, prev_hash, hash, chain_key_version)
	SELECT head_id + e.n, r.occurred_at, r.request_id, r.actor_id, r.actor_name, r.action,
		r.client_id, r.service, r.status_code, r.error_code, r.ip, r.user_agent, r.duration_ms,
		r.workflow_id, r.execution_id, r.details, new_hashes[e.n], new_hashes[e.n + 1], key_version
	FROM json_array_elements_text(contents) WITH ORDINALITY AS e(content, n),
		jsonb_to_record(e.content::jsonb) AS r(occurred_at timestamptz, request_id text,
			actor_id text, actor_name text, action text, client_id text, service text,
			status_code integer, error_code text, ip text, user_agent text,
			duration_ms double precision, workflow_id text, execution_id text, details jsonb);
	head_id := head_id + cardinality(new_hashes) - 1;
	head_hash := new_hashes[cardinality(new_hashes)];
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
	RETURN QUERY SELECT head_id, encode(head_hash, 'hex'), true;
END;
$$;

-- The SQL-hashed appenders of 0005 and 0006 would write unkeyed rows: a vault of a previous
-- version still running during the upgrade now fails closed (503) instead.
CREATE OR REPLACE FUNCTION audit_append(entries jsonb, used_connections jsonb, used_tokens uuid[])
RETURNS bigint
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION 'audit_append is retired by migration 0008 (keyed audit chain): upgrade this vault';
END;
$$;
CREATE OR REPLACE FUNCTION audit_append_contents(contents json, used_connections jsonb, used_tokens uuid[])
RETURNS bigint
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION 'audit_append_contents is retired by migration 0008 (keyed audit chain): upgrade this vault';
END;
$$;

-- Retention's one way to delete: every row before `before_id` goes, and a checkpoint keeps the
-- id and hash of the last one removed, so the chain after it still verifies. Not SECURITY
-- DEFINER: it runs with the caller's rights. The setting lets the trigger through for this
-- transaction only.
CREATE FUNCTION audit_remove_before(before_id bigint) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	cut_id bigint;
	cut_hash bytea;
	removed bigint;
BEGIN
	SELECT a.id, a.hash INTO cut_id, cut_hash FROM audit_log a WHERE a.id < before_id
		ORDER BY a.id DESC LIMIT 1;
	IF cut_id IS NULL THEN
		RETURN 0;
	END IF;
	PERFORM set_config('otobot.audit_remove', 'on', true);
	DELETE FROM audit_log WHERE id <= cut_id;
	GET DIAGNOSTICS removed = ROW_COUNT;
	PERFORM set_config('otobot.audit_remove', 'off', true);
	INSERT INTO audit_checkpoints (id, hash, rows_removed) VALUES (cut_id, cut_hash, removed);
	RETURN removed;
END;
$$;

INSERT INTO schema_migrations (version, name) VALUES (8, 'audit_keyed_chain');

-- 0009_link_revocation_bootstrap
-- Otobot Vault: connect links can be revoked, and the bootstrap admin token is minted once.

-- A revoked link opens nothing and completes nothing. Why it was revoked: 'revoked' (an admin
-- asked), 'connection_deleted' or 'connection_stored' (its connection was deleted or replaced).
ALTER TABLE connect_links ADD COLUMN revoked_at timestamptz;
ALTER TABLE connect_links ADD COLUMN revoked_reason text;
-- GET /v1/connect-links pages newest first by (created_at, id)
CREATE INDEX connect_links_created ON connect_links (created_at, id);

-- One row once the vault has minted its bootstrap admin token (or found admin tokens already
-- there): a later start with no admin token left mints nothing, so revoking the last admin token
-- is not undone by a restart.
CREATE TABLE vault_bootstrap (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	-- the token minted (its id, never its value); NULL when admin tokens already existed
	admin_token_id uuid,
	created_at timestamptz NOT NULL DEFAULT now()
);
-- a database that already holds an admin token, active or revoked, was bootstrapped already
INSERT INTO vault_bootstrap (admin_token_id)
SELECT NULL WHERE EXISTS (SELECT 1 FROM api_tokens WHERE scope = 'admin');

INSERT INTO schema_migrations (version, name) VALUES (9, 'link_revocation_bootstrap');

-- 0010_refresh_lease
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

INSERT INTO schema_migrations (version, name) VALUES (10, 'refresh_lease');

-- 0011_service_error_codes
-- Otobot Vault: how each service's token endpoint says no (docs/PROVIDERS.md).
--
-- Every service shares the defaults of RFC 6749 §5.2 and OpenID Connect Core §3.1.2.6 (in
-- vault-server/src/oauth/token-error.ts): invalid_grant, interaction_required, ... mean the grant
-- is dead (the client reconnects); invalid_client and unauthorized_client mean the agency's OAuth
-- app is refused (the operator fixes the service). These columns add a provider's own codes, as
-- data an operator can extend with SQL or PATCH /v1/services/:name. Each entry is an `error` (or
-- HubSpot `status`) value, or `AADSTS<number>` for a Microsoft Entra error number. A listed code
-- wins over the defaults; anything unlisted and not a default is transient (retried with backoff).
--
-- app_error / app_error_at: the provider refused the service's OAuth app itself. The service is
-- then the one thing failing (one alert, no per-connection failures) until its OAuth app changes.

ALTER TABLE services
	ADD COLUMN reauth_error_codes text[] NOT NULL DEFAULT '{}'
		CHECK (cardinality(reauth_error_codes) <= 64),
	ADD COLUMN app_error_codes text[] NOT NULL DEFAULT '{}'
		CHECK (cardinality(app_error_codes) <= 64),
	ADD COLUMN app_error text,
	ADD COLUMN app_error_at timestamptz;

-- Catalog defaults, from each provider's documented token error answers.
UPDATE services SET
	reauth_error_codes = c.reauth,
	app_error_codes = c.app
FROM (VALUES
	-- invalid_grant: revoked, expired (7 days for apps in testing), password change; an admin block
	('google', ARRAY['admin_policy_enforced'], ARRAY['deleted_client', 'disabled_client']),
	-- AADSTS: password changed or reset, inactivity, MFA or consent needed / secret expired or
	-- wrong, app unknown or disabled, tenant unknown, app not multi-tenant
	('microsoft',
		ARRAY['AADSTS50173', 'AADSTS700082', 'AADSTS50076', 'AADSTS50079', 'AADSTS65001',
			'AADSTS50078', 'AADSTS700084'],
		ARRAY['AADSTS7000222', 'AADSTS7000215', 'AADSTS700016', 'AADSTS7000112', 'AADSTS90002',
			'AADSTS50194', 'AADSTS700027']),
	-- oauth.v2.access answers HTTP 200 {"ok": false, "error": ...}
	('slack', ARRAY['invalid_refresh_token', 'token_revoked', 'token_expired', 'account_inactive'],
		ARRAY['invalid_client_id', 'bad_client_secret', 'invalid_grant_type']),
	-- errors carry {"status": "BAD_REFRESH_TOKEN", "message": ...} and no `error` field
	('hubspot', ARRAY['BAD_REFRESH_TOKEN'], ARRAY['BAD_CLIENT_ID', 'BAD_CLIENT_SECRET']),
	-- invalid_grant: expired access/refresh token, inactive user or org
	('salesforce', ARRAY['inactive_user', 'inactive_org'], ARRAY['invalid_client_id', 'invalid_client_credentials']),
	-- answers HTTP 200 {"error": ...}; a GitHub App user token's refresh token lives 6 months
	('github', ARRAY['bad_refresh_token'], ARRAY['incorrect_client_credentials']),
	-- Zoho answers HTTP 200 {"error": "invalid_code"} for a dead refresh token
	('zoho', ARRAY['invalid_code'], ARRAY['invalid_client', 'invalid_client_secret']),
	-- QuickBooks (Intuit) and Xero answer RFC 6749 codes; Xero adds unauthorized_client
	('xero', ARRAY[]::text[], ARRAY['unauthorized_client']),
	('quickbooks', ARRAY[]::text[], ARRAY['invalid_client'])
) AS c(name, reauth, app)
WHERE services.name = c.name AND services.reauth_error_codes = '{}' AND services.app_error_codes = '{}';

ALTER TABLE alerts DROP CONSTRAINT alerts_rule_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_rule_check CHECK (rule IN (
	'connection_expired', 'refresh_failing', 'connection_unused', 'critical_errors',
	'service_app_refused'));

INSERT INTO schema_migrations (version, name) VALUES (11, 'service_error_codes');

-- 0012_provider_answers
-- What a token answer carries beside the token, and regional authorization servers, as data on
-- each service (with the catalog's defaults), so no code names a provider.
--
--   answer_fields     non-secret fields of token answers kept in the connection's metadata, as
--                     dotted paths into the JSON answer ('instance_url', 'team.id'); each answer
--                     that carries one updates it (connect flow and every refresh)
--   user_token_field  an object of the answer that may carry a user token (Slack's
--                     'authed_user'): used when the answer has no top-level access_token, or
--                     always when prefer_user_token; the other token is not kept
--   accounts_servers  origins a callback's `accounts-server` may name (Zoho's data centres); the
--                     code is exchanged, and the connection refreshed, at that origin + the path
--                     of oauth_token_url. Empty: a callback's accounts-server is ignored.
--   callback_params   callback query parameters kept in the metadata: name -> the pattern its
--                     value must match (a whole-value regular expression); a callback whose value
--                     does not match is refused before the code is exchanged

ALTER TABLE services
	ADD COLUMN answer_fields text[] NOT NULL DEFAULT '{}',
	ADD COLUMN user_token_field text,
	ADD COLUMN prefer_user_token boolean NOT NULL DEFAULT false,
	ADD COLUMN accounts_servers text[] NOT NULL DEFAULT '{}',
	ADD COLUMN callback_params jsonb NOT NULL DEFAULT '{}';

-- the accounts server the connection was made at (one of its service's accounts_servers)
ALTER TABLE connections ADD COLUMN accounts_server text;

-- Catalog defaults, only on rows still at the column defaults (an operator's own settings stay).
-- Each from the provider's documentation of its token answer; docs/PROVIDERS.md lists them.
UPDATE services SET answer_fields = '{instance_url,id}'
	WHERE name = 'salesforce' AND answer_fields = '{}';
UPDATE services SET answer_fields = '{team.id,team.name,enterprise.id,app_id,bot_user_id,authed_user.id}',
		user_token_field = 'authed_user'
	WHERE name = 'slack' AND answer_fields = '{}' AND user_token_field IS NULL;
UPDATE services SET answer_fields = '{workspace_id,workspace_name,bot_id}'
	WHERE name = 'notion' AND answer_fields = '{}';
UPDATE services SET answer_fields = '{account_id,team_id}'
	WHERE name = 'dropbox' AND answer_fields = '{}';
UPDATE services SET answer_fields = '{api_domain}'
	WHERE name = 'pipedrive' AND answer_fields = '{}';
UPDATE services SET answer_fields = '{owner,organization}'
	WHERE name = 'calendly' AND answer_fields = '{}';
UPDATE services SET answer_fields = '{x_refresh_token_expires_in}',
		callback_params = '{"realmId": "[0-9]{1,32}"}'
	WHERE name = 'quickbooks' AND answer_fields = '{}' AND callback_params = '{}';
UPDATE services SET answer_fields = '{api_domain}',
		callback_params = '{"location": "[a-z]{2,3}"}',
		accounts_servers = '{https://accounts.zoho.com,https://accounts.zoho.eu,https://accounts.zoho.in,https://accounts.zoho.com.au,https://accounts.zoho.jp,https://accounts.zohocloud.ca,https://accounts.zoho.sa,https://accounts.zoho.uk,https://accounts.zoho.com.cn}'
	WHERE name = 'zoho' AND answer_fields = '{}' AND callback_params = '{}' AND accounts_servers = '{}';

INSERT INTO schema_migrations (version, name) VALUES (12, 'provider_answers');

-- 0013_token_lifetime_keepalive_minutes
-- How long a service's tokens live when its answers carry no expires_in, and keep-alive intervals
-- in minutes (issue 16 §3: a Salesforce org whose sessions last 30 minutes).
--
--   default_token_lifetime_seconds  the lifetime a token answer without `expires_in` (RFC 6749
--                                   §5.1 makes it optional) is given, at the connect flow and at
--                                   each refresh; NULL: unknown, the token is stored with no expiry
--   keepalive_interval_minutes      renew at least this often, whatever the expiry (refresh tokens
--                                   that die unused, sessions that end); replaces
--                                   keepalive_interval_hours, which the API still accepts and
--                                   answers (as minutes / 60)

ALTER TABLE services
	ADD COLUMN default_token_lifetime_seconds integer
		CHECK (default_token_lifetime_seconds BETWEEN 60 AND 31536000),
	ADD COLUMN keepalive_interval_minutes integer
		CHECK (keepalive_interval_minutes BETWEEN 1 AND 525600);

UPDATE services SET keepalive_interval_minutes = keepalive_interval_hours * 60
	WHERE keepalive_interval_hours IS NOT NULL;

ALTER TABLE services DROP COLUMN keepalive_interval_hours;

-- Salesforce answers carry no expires_in; a session lasts the org's "Timeout value" (Setup →
-- Session Settings), 2 hours by default. An org with a shorter timeout sets its own value.
UPDATE services SET default_token_lifetime_seconds = 7200
	WHERE name = 'salesforce' AND default_token_lifetime_seconds IS NULL;

INSERT INTO schema_migrations (version, name) VALUES (13, 'token_lifetime_keepalive_minutes');

-- 0014_console_sessions
-- Operator console sessions (issue 15): an admin token exchanged for a cookie at sign-in.
--
--   id_sha256           SHA-256 of the random session id the browser holds in its cookie; the id
--                       itself is never stored, so a copy of this table signs no one in
--   admin_token_sha256  SHA-256 of the admin token that signed in (api_tokens keeps the same digest
--                       for database tokens). Each request resolves it to its token again, so
--                       revoking the token, or removing it from ADMIN_API_TOKEN, ends the session
--   csrf_token          the per-session value every state-changing request repeats in its
--                       x-csrf-token header (double submit); useless without the cookie
--   last_seen_at        idle expiry: the session ends CONSOLE_SESSION_IDLE after it
--   expires_at          absolute expiry: sign-in time + CONSOLE_SESSION_MAX, whatever the use

CREATE TABLE console_sessions (
	id_sha256 bytea PRIMARY KEY CHECK (length(id_sha256) = 32),
	admin_token_sha256 bytea NOT NULL CHECK (length(admin_token_sha256) = 32),
	actor_id text NOT NULL,
	csrf_token text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_seen_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL
);

CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);

INSERT INTO schema_migrations (version, name) VALUES (14, 'console_sessions');

-- 0015_audit_log_partitions
-- An audit log that does not grow forever (issue 17 §5): audit_log becomes partitioned by month on
-- occurred_at (UTC months), so retention drops whole partitions instead of deleting row by row.
--
-- * Same columns, ids and hashes: every row is moved as it is and the chain is untouched.
-- * The primary key must hold the partition key: it is now (id, occurred_at). Ids stay unique
--   because only audit_append_keyed writes rows, numbered from the locked head.
-- * A partition per month, named audit_log_YYYY_MM, created ahead by the vault
--   (audit_create_partitions, run at start and hourly by `serve`), and audit_log_default, which
--   takes any row whose month has no partition yet, so an insert never fails.
-- * audit_remove_before stays the one way to remove rows: it now drops the past partitions whose
--   rows all go, deletes the rest row by row, and still leaves a checkpoint.
-- * The append-only triggers are on the partitioned table (PostgreSQL clones the row triggers to
--   each partition); a TRUNCATE of one partition does not fire the parent's statement trigger, so
--   each partition gets its own.

-- A row trigger cloned to a partition runs with the partition's name: retention's deletes from a
-- partition are let through too (the setting is checked first, so a refused statement pays
-- nothing more).
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF TG_OP = 'DELETE' AND current_setting('otobot.audit_remove', true) = 'on'
		AND (TG_TABLE_NAME = 'audit_log' OR EXISTS (SELECT 1 FROM pg_inherits
			WHERE inhrelid = TG_RELID AND inhparent = 'audit_log'::regclass)) THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION '% on % is refused: the audit log is append-only', TG_OP, TG_TABLE_NAME
		USING ERRCODE = 'insufficient_privilege';
END;
$$;

ALTER TABLE audit_log RENAME TO audit_log_before_0015;
ALTER INDEX audit_log_pkey RENAME TO audit_log_before_0015_pkey;
ALTER INDEX audit_log_client_service RENAME TO audit_log_before_0015_client_service;
ALTER INDEX audit_log_occurred_at RENAME TO audit_log_before_0015_occurred_at;

CREATE TABLE audit_log (
	id bigint NOT NULL,
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
	hash bytea NOT NULL,
	chain_key_version integer,
	PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);

-- Every index of audit_log, in one place: an index on the partitioned table is created on each
-- partition, present and future. (Indexes added to the old table by other migrations go here.)
CREATE INDEX audit_log_client_service ON audit_log (client_id, service, id DESC);
CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at);

CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log_default
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The month partitions from `from_month` (any time in it; UTC months) for `months` months: each
-- created unless it exists. A month whose rows already went to the default partition is skipped
-- (PostgreSQL cannot create it over them); those rows stay there and retention deletes them row by
-- row. Returns how many partitions were created. Several processes may call it at once: the
-- transaction-scoped advisory lock makes them take turns.
CREATE FUNCTION audit_create_partitions(from_month timestamptz, months integer) RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	first_month timestamp := date_trunc('month', from_month AT TIME ZONE 'UTC');
	low timestamptz;
	high timestamptz;
	name text;
	created integer := 0;
BEGIN
	PERFORM pg_advisory_xact_lock(774211917);
	FOR m IN 0 .. months - 1 LOOP
		low := (first_month + make_interval(months => m)) AT TIME ZONE 'UTC';
		high := (first_month + make_interval(months => m + 1)) AT TIME ZONE 'UTC';
		name := 'audit_log_' || to_char(low AT TIME ZONE 'UTC', 'YYYY_MM');
		CONTINUE WHEN to_regclass(name) IS NOT NULL;
		CONTINUE WHEN EXISTS (SELECT 1 FROM audit_log_default d
			WHERE d.occurred_at >= low AND d.occurred_at < high);
		EXECUTE format('CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
			name, low, high);
		EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I
			FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()', name);
		created := created + 1;
	END LOOP;
	RETURN created;
END;
$$;

-- a partition for every month the log already holds, then this month and the next two
SELECT audit_create_partitions(month, 1) FROM (
	SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month
	FROM audit_log_before_0015
) AS months;
SELECT audit_create_partitions(now(), 3);

INSERT INTO audit_log (id, occurred_at, request_id, actor_id, actor_name, action, client_id,
	service, status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id,
	details, prev_hash, hash, chain_key_version)
SELECT id, occurred_at, request_id, actor_id, actor_name, action, client_id, service,
	status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id, details,
	prev_hash, hash, chain_key_version
FROM audit_log_before_0015;
DROP TABLE audit_log_before_0015;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Retention's one way to remove rows, as in 0008: every row before `before_id` goes and a
-- checkpoint keeps the id and hash of the last one removed, so the chain after it still verifies.
-- A past month's partition whose rows all go is dropped whole; the rest are deleted row by row
-- (rows of the default partition, and rows appended a little after their month ended). The head
-- is locked first, so no row is appended meanwhile. With `expected_rows` and `expected_hash` (an
-- archive just written), nothing is removed unless exactly that many rows go and the last one has
-- that hash. Not SECURITY DEFINER: it runs with the caller's rights.
DROP FUNCTION audit_remove_before(bigint);
CREATE FUNCTION audit_remove_before(before_id bigint, expected_rows bigint DEFAULT NULL,
	expected_hash bytea DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	cut_id bigint;
	cut_hash bytea;
	removed bigint := 0;
	partition_rows bigint;
	deleted bigint;
	part record;
BEGIN
	PERFORM 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE;
	SELECT a.id, a.hash INTO cut_id, cut_hash FROM audit_log a WHERE a.id < before_id
		ORDER BY a.id DESC LIMIT 1;
	IF cut_id IS NULL THEN
		RETURN 0;
	END IF;
	IF expected_hash IS NOT NULL AND cut_hash <> expected_hash THEN
		RAISE EXCEPTION 'audit row % does not have the archived hash: nothing removed', cut_id
			USING ERRCODE = 'data_exception';
	END IF;
	IF expected_rows IS NOT NULL
		AND (SELECT count(*) FROM audit_log WHERE id <= cut_id) <> expected_rows THEN
		RAISE EXCEPTION 'the audit rows up to % are not the % archived: nothing removed',
			cut_id, expected_rows USING ERRCODE = 'data_exception';
	END IF;
	FOR part IN
		SELECT c.oid::regclass AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_log'::regclass
		  AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
		      <= now()
	LOOP
		EXECUTE format('SELECT count(*) FROM %s WHERE NOT EXISTS (SELECT 1 FROM %s WHERE id > $1)',
			part.name, part.name) INTO partition_rows USING cut_id;
		IF partition_rows > 0 THEN
			EXECUTE format('DROP TABLE %s', part.name);
			removed := removed + partition_rows;
		END IF;
	END LOOP;
	PERFORM set_config('otobot.audit_remove', 'on', true);
	DELETE FROM audit_log WHERE id <= cut_id;
	GET DIAGNOSTICS deleted = ROW_COUNT;
	PERFORM set_config('otobot.audit_remove', 'off', true);
	removed := removed + deleted;
	INSERT INTO audit_checkpoints (id, hash, rows_removed) VALUES (cut_id, cut_hash, removed);
	RETURN removed;
END;
$$;

INSERT INTO schema_migrations (version, name) VALUES (15, 'audit_log_partitions');

-- 0016_webhooks
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

INSERT INTO schema_migrations (version, name) VALUES (16, 'webhooks');

-- 0017_console_data
-- Otobot Vault: the console's audit searches, and the branding of the connect pages (issue 15).

-- GET /v1/audit pages newest first by (occurred_at, id), each filter through an index that gives
-- that order, so a page reads its rows and stops (keyset pagination, no sort, no offset).
-- `outcome=failure` means status_code >= 400 or an error_code: the partial index's predicate is
-- the search's own expression, word for word, so the planner can use it.
CREATE INDEX audit_log_time ON audit_log (occurred_at, id);
CREATE INDEX audit_log_client_time ON audit_log (client_id, occurred_at, id);
CREATE INDEX audit_log_connection_time ON audit_log (client_id, service, occurred_at, id);
CREATE INDEX audit_log_service_time ON audit_log (service, occurred_at, id);
CREATE INDEX audit_log_action_time ON audit_log (action, occurred_at, id);
CREATE INDEX audit_log_workflow_time ON audit_log (workflow_id, occurred_at, id)
	WHERE workflow_id IS NOT NULL;
CREATE INDEX audit_log_execution_time ON audit_log (execution_id, occurred_at, id)
	WHERE execution_id IS NOT NULL;
CREATE INDEX audit_log_failure_time ON audit_log (occurred_at, id)
	WHERE status_code >= 400 OR error_code IS NOT NULL;
-- superseded by audit_log_time and audit_log_connection_time; nothing else read through them
DROP INDEX audit_log_occurred_at;
DROP INDEX audit_log_client_service;

-- The agency's branding of the pages its clients see (connect, success, expired, error). One row;
-- absent until an admin sets something. The logo is the image bytes, checked by the vault (PNG,
-- JPEG or WebP by their magic bytes, never SVG) and served by it from /branding/logo.
CREATE TABLE branding (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	agency_name text CHECK (char_length(agency_name) BETWEEN 1 AND 100),
	accent_color text CHECK (accent_color ~ '^#[0-9a-f]{6}$'),
	logo bytea CHECK (octet_length(logo) BETWEEN 1 AND 262144),
	logo_content_type text CHECK (logo_content_type IN ('image/png', 'image/jpeg', 'image/webp')),
	logo_sha256 text CHECK (logo_sha256 ~ '^[0-9a-f]{64}$'),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((logo IS NULL) = (logo_content_type IS NULL) AND (logo IS NULL) = (logo_sha256 IS NULL))
);

INSERT INTO schema_migrations (version, name) VALUES (17, 'console_data');

-- 0018_connections_by_service
-- Otobot Vault: the connections of one service in client order (issue 15, the console's Services
-- page). GET /v1/clients?service= pages the clients connected to a service by keyset on the
-- client id: this index hands the rows out in that order, so a page reads its rows and stops,
-- however many connections the service has.
CREATE INDEX connections_service_client ON connections (service, client_id);
-- superseded: (service) is this index's prefix
DROP INDEX connections_service;

INSERT INTO schema_migrations (version, name) VALUES (18, 'connections_by_service');

COMMIT;
