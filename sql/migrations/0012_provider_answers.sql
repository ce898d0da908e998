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
