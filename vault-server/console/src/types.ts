/** The /v1 answers the console reads (see the OpenAPI document at /docs). */
export interface Connection {
	client_id: string;
	service: string;
	type: string;
	status: string;
	expires_at: string | null;
	last_used_at: string | null;
	last_refreshed_at: string | null;
	refresh_failures: number;
	last_error: string | null;
	created_at: string;
}

export interface Summary {
	generated_at: string;
	needs_action: boolean;
	counts: {
		connections: number;
		expired: number;
		expiring: number;
		refresh_errors: number;
		unused: number;
		needs_reauth: number;
		tokens_expiring: number;
		tokens_expired: number;
		open_alerts: number;
	};
	connections: Record<
		'expired' | 'expiring' | 'refresh_errors' | 'unused' | 'needs_reauth',
		Connection[]
	>;
	alerts: {
		id: number;
		rule: string;
		title: string;
		subject: string;
		first_seen_at: string;
		last_seen_at: string;
	}[];
}

export interface Client {
	id: string;
	name: string;
	email: string | null;
	created_at: string;
}

export interface ConnectLinkInfo {
	id: string;
	client_id: string;
	service: string;
	status: string;
	created_at: string;
	expires_at: string;
}

export interface ApiToken {
	id: string;
	name: string;
	scope: string;
	prefix: string;
	expires_at: string | null;
	revoked_at: string | null;
	last_used_at: string | null;
	created_at: string;
}

/** One page of GET /v1/audit: `next_before_id` asks for the page after (null: the last). */
export interface AuditPage {
	entries: AuditRow[];
	next_before_id: number | null;
}

export interface Branding {
	agency_name: string | null;
	accent_color: string | null;
	logo: { content_type: string; bytes: number; sha256: string; url: string } | null;
	updated_at: string | null;
}

export interface AuditRow {
	id: number;
	occurred_at: string;
	actor_name: string | null;
	action: string;
	client_id: string | null;
	service: string | null;
	status_code: number | null;
	error_code: string | null;
	workflow_id: string | null;
	execution_id: string | null;
}

export interface Service {
	name: string;
	display_name: string;
	oauth_type: string;
	oauth_authorization_url: string | null;
	oauth_token_url: string | null;
	oauth_scopes: string | null;
	oauth_client_id: string | null;
	has_client_secret: boolean;
	app_error: string | null;
	updated_at: string;
	oauth_redirect_uri?: string;
	connection_count?: number;
}
