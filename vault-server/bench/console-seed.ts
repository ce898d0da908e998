import type { Queryable } from '../src/storage/database.js';

/** The console's data at scale: clients with 3 connections each, a connect link each, and audit rows. */
export interface ConsoleShape {
	clients: number;
	auditRows: number;
	apiTokens: number;
}

export const CONSOLE_SERVICES = ['console-crm', 'console-mail', 'console-ai'] as const;
/** How many workflows the audit rows spread over, and how often a row is a failure (1 in N). */
export const WORKFLOWS = 500;
export const FAILURE_EVERY = 50;
/** Seconds between two seeded audit rows: a million rows span about a year. */
export const AUDIT_SPACING_SECONDS = 30;

export const consoleClientId = (n: number) => `client-${n}`;

/**
 * Fills a migrated database in a few set-based statements (generate_series): `clients` clients
 * ("client-1" ...) with a connection to each of CONSOLE_SERVICES (dummy ciphertexts: nothing
 * decrypts them) and one open connect link, `apiTokens` read tokens, and `auditRows` audit rows
 * numbered after the chain's head, the newest now, AUDIT_SPACING_SECONDS apart: every client,
 * service, WORKFLOWS workflows, a unique execution id each, 1 in FAILURE_EVERY a failure. The
 * rows carry placeholder hashes (the chain is not verified here); the head is moved past them so
 * a vault started on the database appends after them. Ends with ANALYZE.
 */
export async function seedConsole(db: Queryable, shape: ConsoleShape): Promise<void> {
	await db.query(
		`INSERT INTO services (name, display_name, oauth_type)
		 SELECT name, initcap(name), CASE WHEN name = 'console-ai' THEN 'api_key' ELSE 'oauth2' END
		 FROM unnest($1::text[]) AS name`,
		[CONSOLE_SERVICES],
	);
	await db.query(
		`INSERT INTO clients (id, name, email)
		 SELECT 'client-' || n, 'Client ' || n || ' GmbH', 'ops@client-' || n || '.example'
		 FROM generate_series(1, $1::int) AS n`,
		[shape.clients],
	);
	await db.query(
		`INSERT INTO connections (client_id, service, status, credential_ciphertext, key_version, expires_at)
		 SELECT 'client-' || n, s.name, CASE WHEN n % 40 = 0 THEN 'needs_reauth' ELSE 'active' END,
			decode(repeat('5a', 200), 'hex'), (SELECT version FROM encryption_keys WHERE status = 'active'),
			now() + make_interval(mins => n % 1440)
		 FROM generate_series(1, $1::int) AS n, unnest($2::text[]) AS s(name)`,
		[shape.clients, CONSOLE_SERVICES],
	);
	await db.query(
		`INSERT INTO connect_links (token_hash, client_id, service, expires_at, created_at)
		 SELECT sha256(('link-' || n)::bytea), 'client-' || n, ($2::text[])[1 + n % 2],
			now() + interval '7 days', now() - make_interval(secs => n)
		 FROM generate_series(1, $1::int) AS n`,
		[shape.clients, CONSOLE_SERVICES],
	);
	await db.query(
		`INSERT INTO api_tokens (name, scope, token_hash, token_prefix)
		 SELECT 'n8n ' || n, 'read', sha256(('token-' || n)::bytea), 'ovt_' || n
		 FROM generate_series(1, $1::int) AS n`,
		[shape.apiTokens],
	);
	// the month partitions the rows fall in, as the vault creates them ahead of time (migration
	// 0015): rows in the default partition would be read and sorted apart from the others
	await db.query(
		`SELECT audit_create_partitions(now() - make_interval(secs => $1::double precision), $2::int)`,
		[
			shape.auditRows * AUDIT_SPACING_SECONDS,
			Math.ceil((shape.auditRows * AUDIT_SPACING_SECONDS) / (28 * 86_400)) + 2,
		],
	);
	await db.query(
		`WITH head AS (SELECT last_id FROM audit_chain_head WHERE id = 1)
		 INSERT INTO audit_log (id, occurred_at, request_id, actor_id, actor_name, action, client_id,
			service, status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id,
			details, prev_hash, hash)
		 SELECT head.last_id + n, now() - make_interval(secs => ($1::int - n) * $5::int),
			NULL, 'env:INTERNAL_API_TOKEN:1', 'n8n',
			CASE WHEN n % 20 = 0 THEN 'connection.read' WHEN n % 97 = 0 THEN 'connect.open'
				ELSE 'credential.fetch' END,
			'client-' || (1 + n % $2::int), ($3::text[])[1 + n % 3],
			CASE WHEN n % $4::int = 0 THEN 503 ELSE 200 END,
			CASE WHEN n % $4::int = 0 THEN 'REFRESH_FAILED' END,
			'10.0.0.1', 'n8n', 1.5, 'wf-' || (n % $6::int), 'ex-' || n, NULL, '\\x00', '\\x00'
		 FROM head, generate_series(1, $1::int) AS n`,
		[
			shape.auditRows,
			shape.clients,
			CONSOLE_SERVICES,
			FAILURE_EVERY,
			AUDIT_SPACING_SECONDS,
			WORKFLOWS,
		],
	);
	await db.query(
		`UPDATE audit_chain_head SET last_id = last_id + $1::bigint, last_hash = '\\x00' WHERE id = 1`,
		[shape.auditRows],
	);
	await db.query('ANALYZE');
}
