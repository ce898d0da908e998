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
