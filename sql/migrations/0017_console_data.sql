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
