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
