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
