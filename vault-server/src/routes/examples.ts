/**
 * The examples of the OpenAPI document: made-up, self-consistent values. Every secret here is a
 * visible placeholder (`example-...`), never something that could pass for a real token.
 */
const CREATED = '2026-01-12T09:30:00.000Z';
const UPDATED = '2026-01-15T14:05:00.000Z';
const EXPIRES = '2026-01-15T15:05:00.000Z';
const SCOPES = ['https://www.googleapis.com/auth/drive.readonly'];

export const CLIENT = {
	id: 'acme',
	name: 'Acme Corp',
	email: 'ops@acme.example',
	created_at: CREATED,
	updated_at: UPDATED,
};

export const NEW_SERVICE = {
	name: 'google',
	display_name: 'Google',
	oauth_type: 'oauth2',
	oauth_authorization_url: 'https://accounts.google.com/o/oauth2/v2/auth',
	oauth_token_url: 'https://oauth2.googleapis.com/token',
	oauth_scopes: SCOPES[0],
	oauth_client_id: 'example-client-id.apps.googleusercontent.com',
	oauth_client_secret: 'example-client-secret',
	authorization_params: { access_type: 'offline', prompt: 'consent' },
	pkce: true,
	reauth_error_codes: ['admin_policy_enforced'],
	app_error_codes: ['deleted_client', 'disabled_client'],
};

export const SERVICE = {
	name: 'google',
	display_name: 'Google',
	oauth_type: 'oauth2',
	oauth_authorization_url: NEW_SERVICE.oauth_authorization_url,
	oauth_token_url: NEW_SERVICE.oauth_token_url,
	oauth_scopes: NEW_SERVICE.oauth_scopes,
	oauth_client_id: NEW_SERVICE.oauth_client_id,
	has_client_secret: true,
	token_auth_method: 'client_secret_post',
	token_request_format: 'form',
	scope_separator: ' ',
	authorization_params: NEW_SERVICE.authorization_params,
	token_params: {},
	pkce: true,
	refresh_lead_seconds: null,
	keepalive_interval_minutes: null,
	keepalive_interval_hours: null,
	default_token_lifetime_seconds: null,
	test_url: 'https://www.googleapis.com/oauth2/v3/userinfo',
	answer_fields: [],
	user_token_field: null,
	prefer_user_token: false,
	accounts_servers: [],
	callback_params: {},
	reauth_error_codes: NEW_SERVICE.reauth_error_codes,
	app_error_codes: NEW_SERVICE.app_error_codes,
	app_error: null,
	app_error_at: null,
	created_at: CREATED,
	updated_at: UPDATED,
};

export const STORE_CONNECTION = {
	access_token: 'example-access-token',
	refresh_token: 'example-refresh-token',
	expires_in: 3599,
	token_type: 'Bearer',
	scopes: SCOPES,
	metadata: { account: 'ops@acme.example' },
};

export const CONNECTION = {
	client_id: 'acme',
	service: 'google',
	type: 'oauth2',
	status: 'active',
	token_type: 'Bearer',
	scopes: SCOPES,
	expires_at: EXPIRES,
	has_refresh_token: true,
	last_used_at: UPDATED,
	last_refreshed_at: UPDATED,
	next_refresh_at: '2026-01-15T14:55:00.000Z',
	refresh_failures: 0,
	last_error: null,
	metadata: STORE_CONNECTION.metadata,
	created_at: CREATED,
	updated_at: UPDATED,
};

export const CREDENTIAL = {
	client_id: 'acme',
	service: 'google',
	type: 'oauth2',
	access_token: 'example-access-token',
	token_type: 'Bearer',
	expires_at: EXPIRES,
	scopes: SCOPES,
	metadata: STORE_CONNECTION.metadata,
};

export const NEW_TOKEN = { name: 'n8n production', scope: 'read', expires_in_days: 365 };

export const TOKEN_INFO = {
	id: '5b0f3a52-8c1e-4d7a-9f43-2e6b8a1c7d90',
	name: 'n8n production',
	scope: 'read',
	prefix: 'ovt_exampl',
	clients: null,
	expires_at: '2027-01-15T14:05:00.000Z',
	revoked_at: null,
	last_used_at: null,
	created_at: UPDATED,
};

export const AUDIT_ENTRY = {
	id: 1042,
	occurred_at: UPDATED,
	request_id: '0d7c5a8e-3b1f-4c62-a9e4-6f2d8b7c1a35',
	actor_id: TOKEN_INFO.id,
	actor_name: 'n8n production',
	action: 'credential.fetch',
	client_id: 'acme',
	service: 'google',
	status_code: 200,
	error_code: null,
	ip: '203.0.113.7',
	user_agent: 'n8n',
	duration_ms: 2.4,
	workflow_id: 'wf-invoices',
	execution_id: '88121',
	details: null,
	// the chain hash's form (64 hex digits); an obvious placeholder, so no one mistakes it for a key
	hash: '0123456789abcdef'.repeat(4),
};

export const ALERT = {
	id: 7,
	rule: 'refresh_failing',
	title: 'Refresh failing for acme/google',
	subject: 'acme/google',
	client_id: 'acme',
	service: 'google',
	status: 'open',
	details: { refresh_failures: 5 },
	first_seen_at: UPDATED,
	last_seen_at: UPDATED,
	resolved_at: null,
};

export const CONNECT_LINK = {
	url: 'https://vault.agency.example/connect/example-link-token-shown-once',
	expires_at: '2026-01-22T14:05:00.000Z',
};

export const CONNECT_LINK_INFO = {
	id: '0d6b3c1e-7a24-4f5e-9c88-31b2e4f6a7d0',
	client_id: 'acme',
	service: 'google',
	status: 'revoked',
	created_by: '5b0f3a52-8c1e-4d7a-9f43-2e6b8a1c7d90',
	created_at: CREATED,
	expires_at: CONNECT_LINK.expires_at,
	used_at: null,
	revoked_at: UPDATED,
	revoked_reason: 'revoked',
};

export const MONITORING = {
	generated_at: UPDATED,
	needs_action: true,
	thresholds: { expiring_within_hours: 24, unused_days: 30, token_warning_days: 7 },
	counts: {
		connections: 12,
		expired: 0,
		expiring: 0,
		refresh_errors: 1,
		unused: 0,
		needs_reauth: 0,
		tokens_expiring: 0,
		tokens_expired: 0,
		open_alerts: 1,
	},
	connections: {
		expired: [],
		expiring: [],
		refresh_errors: [
			{
				client_id: 'acme',
				service: 'google',
				type: 'oauth2',
				status: 'active',
				expires_at: EXPIRES,
				last_used_at: UPDATED,
				last_refreshed_at: CREATED,
				refresh_failures: 5,
				last_error: 'HTTP 503',
				created_at: CREATED,
			},
		],
		unused: [],
		needs_reauth: [],
	},
	api_tokens: [],
	alerts: [
		{
			id: ALERT.id,
			rule: ALERT.rule,
			title: ALERT.title,
			subject: ALERT.subject,
			details: ALERT.details,
			first_seen_at: ALERT.first_seen_at,
			last_seen_at: ALERT.last_seen_at,
		},
	],
};

export const HEALTHY = { status: 'ok', database: 'ok', limits: 'shared', version: '0.1.0' };

export const CREDENTIAL_BATCH_REQUEST = {
	pairs: [
		{ client_id: 'acme', service: 'google' },
		{ client_id: 'globex', service: 'google' },
	],
};

export const CREDENTIAL_BATCH = {
	results: [
		{ client_id: 'acme', service: 'google', status: 200, credential: CREDENTIAL },
		{
			client_id: 'globex',
			service: 'google',
			status: 404,
			error: {
				statusCode: 404,
				code: 'CONNECTION_NOT_FOUND',
				message: "Client 'globex' has no connection to 'google'",
			},
		},
	],
};

/** The SHA-256 (hex) of the token an API answered 401 to: an obvious placeholder, like `hash`. */
export const REFRESH_IF_TOKEN = {
	if_access_token_sha256: 'fedcba9876543210'.repeat(4),
};

export const NEW_WEBHOOK = {
	url: 'https://n8n.example.com/webhook/3f1c2d4e/otobot',
	events: ['connection.needs_reauth', 'connection.refresh_failing'],
	secret: 'example-signing-secret-not-real',
	refresh_failures: 3,
};

export const WEBHOOK = {
	id: '7b0e1c2a-8f3d-4c5b-9a6e-1d2f3a4b5c6d',
	url: 'https://n8n.example.com/webhook/3f1c2d4e/otobot',
	events: ['connection.needs_reauth', 'connection.refresh_failing'],
	refresh_failures: 3,
	origin: 'api',
	has_secret: true,
	created_at: '2026-01-15T09:30:00.000Z',
};

export const WEBHOOK_DELIVERY = {
	id: 42,
	delivery_id: '0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f',
	event: 'connection.needs_reauth',
	status: 'delivered',
	attempts: 2,
	next_attempt_at: null,
	created_at: '2026-01-15T09:31:00.000Z',
	finished_at: '2026-01-15T09:31:11.000Z',
	attempt_log: [
		{
			attempted_at: '2026-01-15T09:31:00.100Z',
			http_status: 503,
			error_class: 'http_status',
			duration_ms: 84,
			excerpt: 'Service Unavailable',
		},
		{
			attempted_at: '2026-01-15T09:31:11.000Z',
			http_status: 200,
			error_class: null,
			duration_ms: 61,
			excerpt: null,
		},
	],
};

export const BRANDING = {
	agency_name: 'Northwind Automation',
	accent_color: '#0f766e',
	logo: {
		content_type: 'image/png',
		bytes: 18_204,
		// an obvious placeholder of the hash's form
		sha256: '0123456789abcdef'.repeat(4),
		url: '/branding/logo?v=0123456789abcdef',
	},
	updated_at: UPDATED,
};

export const KEYS = {
	active_version: 2,
	keys: [
		{
			version: 1,
			status: 'decrypt_only',
			current: false,
			created_at: CREATED,
			retired_at: null,
			ciphertexts: 120,
			by_location: { connections: 118, 'services.oauth_client_secret': 2 },
		},
		{
			version: 2,
			status: 'active',
			current: true,
			created_at: UPDATED,
			retired_at: null,
			ciphertexts: 880,
			by_location: { connections: 874, 'services.oauth_client_secret': 6 },
		},
	],
	rewrap: { target_version: 2, done: 880, total: 1000, remaining: 120, ratio: 0.88 },
};
