import type { Queryable } from './database.js';

export type OAuthType = 'oauth2' | 'oauth2_client_credentials' | 'api_key' | 'basic';

export interface ServiceRow {
	name: string;
	display_name: string;
	oauth_type: OAuthType;
	oauth_authorization_url: string | null;
	oauth_token_url: string | null;
	oauth_scopes: string | null;
	oauth_client_id: string | null;
	oauth_client_secret_ciphertext: Uint8Array | null;
	token_auth_method: 'client_secret_post' | 'client_secret_basic' | 'none';
	token_request_format: 'form' | 'json';
	scope_separator: string;
	authorization_params: Record<string, string>;
	token_params: Record<string, string>;
	pkce: boolean;
	refresh_lead_seconds: number | null;
	/** Renew at least this often, whatever the expiry; null: only by expiry. */
	keepalive_interval_minutes: number | null;
	/** The lifetime of a token whose answer carries no `expires_in`; null: unknown (no expiry). */
	default_token_lifetime_seconds: number | null;
	test_url: string | null;
	/** Dotted paths of non-secret token answer fields kept in the connection's metadata. */
	answer_fields: string[];
	/** An answer object that may carry a user token (Slack's `authed_user`). */
	user_token_field: string | null;
	prefer_user_token: boolean;
	/** Origins a callback's `accounts-server` may name (regional authorization servers). */
	accounts_servers: string[];
	/** Callback query parameters kept in the metadata: name -> whole-value pattern. */
	callback_params: Record<string, string>;
	/** A provider's own codes for "reconnect" and "OAuth app refused" (oauth/token-error.ts). */
	reauth_error_codes: string[];
	app_error_codes: string[];
	/** Why the provider last refused the OAuth app itself; null while it is not refused. */
	app_error: string | null;
	app_error_at: Date | null;
	created_at: Date;
	updated_at: Date;
}

/** The columns a caller may set; the client secret arrives here already encrypted. */
export type ServiceFields = Partial<
	Omit<ServiceRow, 'name' | 'created_at' | 'updated_at' | 'app_error' | 'app_error_at'>
>;

/** Changing any of these changes the OAuth app the provider sees: a past refusal no longer holds. */
export const OAUTH_APP_COLUMNS = [
	'oauth_client_id',
	'oauth_client_secret_ciphertext',
	'oauth_token_url',
	'token_auth_method',
] as const satisfies readonly (keyof ServiceFields)[];

const JSON_COLUMNS = new Set(['authorization_params', 'token_params', 'callback_params']);
const ARRAY_COLUMNS = new Set(['answer_fields', 'accounts_servers']);
const SETTABLE = [
	'display_name',
	'oauth_type',
	'oauth_authorization_url',
	'oauth_token_url',
	'oauth_scopes',
	'oauth_client_id',
	'oauth_client_secret_ciphertext',
	'token_auth_method',
	'token_request_format',
	'scope_separator',
	'authorization_params',
	'token_params',
	'pkce',
	'refresh_lead_seconds',
	'keepalive_interval_minutes',
	'default_token_lifetime_seconds',
	'test_url',
	'answer_fields',
	'user_token_field',
	'prefer_user_token',
	'accounts_servers',
	'callback_params',
	'reauth_error_codes',
	'app_error_codes',
] as const satisfies readonly (keyof ServiceFields)[];

function presentFields(fields: ServiceFields) {
	return SETTABLE.filter((column) => fields[column] !== undefined).map((column) => ({
		column,
		value: fields[column],
		cast: JSON_COLUMNS.has(column) ? '::jsonb' : ARRAY_COLUMNS.has(column) ? '::text[]' : '',
	}));
}

export function servicesStore(db: Queryable) {
	return {
		/** Inserts a service; `undefined` when the name is taken. */
		async insert(name: string, fields: ServiceFields) {
			const present = presentFields(fields);
			const columns = ['name', ...present.map((field) => field.column)];
			const values = present.map((field, index) => `$${index + 2}${field.cast}`);
			const rows = await db.query<ServiceRow>(
				`INSERT INTO services (${columns.join(', ')}) VALUES ($1${values.map((v) => `, ${v}`).join('')})
				 ON CONFLICT (name) DO NOTHING RETURNING *`,
				[name, ...present.map((field) => field.value)],
			);
			return rows[0];
		},

		async update(name: string, fields: ServiceFields) {
			const present = presentFields(fields);
			const assignments = present.map(
				(field, index) => `${field.column} = $${index + 2}${field.cast}`,
			);
			const rows = await db.query<ServiceRow>(
				`UPDATE services SET ${[...assignments, 'updated_at = now()'].join(', ')}
				 WHERE name = $1 RETURNING *`,
				[name, ...present.map((field) => field.value)],
			);
			return rows[0];
		},

		/** The provider refused the service's OAuth app (`reason` names the code, never a secret). */
		async recordAppError(name: string, reason: string) {
			await db.query(`UPDATE services SET app_error = $2, app_error_at = now() WHERE name = $1`, [
				name,
				reason,
			]);
		},

		/**
		 * The service's OAuth app changed: forget its refusal, and end the backoff of its active
		 * connections so the next fetch or background pass tries the new app at once.
		 */
		async clearAppError(name: string) {
			await db.query(`UPDATE services SET app_error = NULL, app_error_at = NULL WHERE name = $1`, [
				name,
			]);
			await db.query(
				`UPDATE connections SET next_refresh_at = now(), updated_at = now()
				 WHERE service = $1 AND status = 'active' AND refresh_failures > 0
				   AND next_refresh_at > now()`,
				[name],
			);
		},

		async list() {
			return db.query<ServiceRow>('SELECT * FROM services ORDER BY name');
		},

		async get(name: string) {
			const rows = await db.query<ServiceRow>('SELECT * FROM services WHERE name = $1', [name]);
			return rows[0];
		},

		async countConnections(name: string): Promise<number> {
			const rows = await db.query<{ count: number }>(
				'SELECT count(*)::int AS count FROM connections WHERE service = $1',
				[name],
			);
			return rows[0]?.count ?? 0;
		},

		async delete(name: string): Promise<boolean> {
			const rows = await db.query('DELETE FROM services WHERE name = $1 RETURNING name', [name]);
			return rows.length > 0;
		},
	};
}

export type ServicesStore = ReturnType<typeof servicesStore>;
