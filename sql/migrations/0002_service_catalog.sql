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
