import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { backends } from './helpers/databases.js';
import {
	ADMIN_TOKEN,
	asAdmin,
	asInternal,
	bearer,
	INTERNAL_TOKEN,
	startTestVault,
	TEST_MASTER_KEY,
	type TestVault,
} from './helpers/vault-app.js';

const SECRET = 'sk-refused-0f3c9a7e5b1d';
const RATE_LIMIT_MAX = 20;
const AUTH_FAILURE_LIMIT = 3;
/** What no audit row may hold, whatever the request carried. */
const NEVER_AUDITED = [SECRET, ADMIN_TOKEN, INTERNAL_TOKEN, TEST_MASTER_KEY, 'wrong-token-5e1a'];

type AuditRow = Record<string, unknown> & { id: number };

/**
 * Requests the vault refuses before or outside a handler (body too large, wrong content type,
 * rate limited, server failures) are audited like the others: one row each, with the status and
 * the error code, and nothing secret the request carried. Refusals before authentication are
 * the exception: one aggregated row per address per minute.
 */
describe.each(backends())('audit of refused requests on %s', (backend) => {
	let vault: TestVault;
	const lastId = async () =>
		(
			await vault.database.db.query<{ id: number }>(
				'SELECT coalesce(max(id), 0)::int AS id FROM audit_log',
			)
		)[0]!.id;
	/** Sends one request and answers it with the audit rows written while it ran. */
	const audited = async (options: InjectOptions) => {
		const since = await lastId();
		const response = await vault.app.inject(options);
		const rows = await vault.database.db.query<AuditRow>(
			'SELECT * FROM audit_log WHERE id > $1 ORDER BY id',
			[since],
		);
		for (const secret of NEVER_AUDITED) expect(JSON.stringify(rows)).not.toContain(secret);
		return { response, rows };
	};
	const connectionUrl = '/v1/clients/acme/connections/keys';

	beforeAll(async () => {
		vault = await startTestVault(backend, {
			RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
			AUTH_FAILURE_LIMIT: String(AUTH_FAILURE_LIMIT),
			ALLOW_INSECURE_OAUTH_URLS: 'true',
			BODY_LIMIT_BYTES: '4096',
		});
		const setup: InjectOptions[] = [
			{ method: 'POST', url: '/v1/clients', payload: { id: 'acme', name: 'Acme' } },
			{
				method: 'POST',
				url: '/v1/services',
				payload: { name: 'keys', display_name: 'Keys', oauth_type: 'api_key' },
			},
			{
				method: 'POST',
				url: '/v1/services',
				payload: {
					name: 'crm',
					display_name: 'CRM',
					oauth_type: 'oauth2',
					// nothing listens on the discard port: every refresh is a network error
					oauth_token_url: 'http://127.0.0.1:9/token',
					oauth_client_id: 'vault-app',
					oauth_client_secret: 'vault-app-secret',
				},
			},
			{
				method: 'PUT',
				url: '/v1/clients/acme/connections/crm',
				payload: { access_token: 'at-audit-crm', refresh_token: 'rt-audit-crm' },
			},
		];
		for (const request of setup) {
			const response = await vault.app.inject({ ...request, headers: asAdmin });
			expect(`${request.url} ${response.statusCode}`).toMatch(/ 2\d\d$/);
		}
	});
	afterAll(async () => vault?.close());

	it('413 PAYLOAD_TOO_LARGE: one row, without the body', async () => {
		const { response, rows } = await audited({
			method: 'PUT',
			url: connectionUrl,
			headers: asAdmin,
			payload: { api_key: SECRET, note: 'x'.repeat(8192) },
		});
		expect(response.statusCode).toBe(413);
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({
			action: 'connection.store',
			status_code: 413,
			error_code: 'PAYLOAD_TOO_LARGE',
			client_id: 'acme',
			service: 'keys',
			actor_id: 'env:ADMIN_API_TOKEN:1',
		});
	});

	it('415 UNSUPPORTED_MEDIA_TYPE: one row, without the body', async () => {
		const { response, rows } = await audited({
			method: 'PUT',
			url: connectionUrl,
			headers: { ...asAdmin, 'content-type': 'application/x-www-form-urlencoded' },
			payload: `api_key=${SECRET}`,
		});
		expect(response.statusCode).toBe(415);
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({
			action: 'connection.store',
			status_code: 415,
			error_code: 'UNSUPPORTED_MEDIA_TYPE',
			client_id: 'acme',
			service: 'keys',
		});
	});

	it('500 INTERNAL_ERROR (a table gone): one row, without the body', async () => {
		await vault.database.db.query('ALTER TABLE connections RENAME TO connections_offline');
		try {
			const { response, rows } = await audited({
				method: 'PUT',
				url: connectionUrl,
				headers: asAdmin,
				payload: { api_key: SECRET },
			});
			expect(response.statusCode).toBe(500);
			expect(response.json().code).toBe('INTERNAL_ERROR');
			expect(rows).toHaveLength(1);
			expect(rows[0]).toMatchObject({
				action: 'connection.store',
				status_code: 500,
				error_code: 'INTERNAL_ERROR',
				client_id: 'acme',
				service: 'keys',
			});
		} finally {
			await vault.database.db.query('ALTER TABLE connections_offline RENAME TO connections');
		}
	});

	it('503 REFRESH_FAILED (the provider unreachable): one request row beside the attempt row', async () => {
		const { response, rows } = await audited({
			method: 'POST',
			url: '/v1/credentials/acme/crm/refresh',
			headers: asAdmin,
		});
		expect(response.statusCode).toBe(503);
		expect(response.json().code).toBe('REFRESH_FAILED');
		const requestRows = rows.filter((row) => row.request_id !== null);
		expect(requestRows).toHaveLength(1);
		expect(requestRows[0]).toMatchObject({
			action: 'credential.refresh',
			status_code: 503,
			error_code: 'REFRESH_FAILED',
			client_id: 'acme',
			service: 'crm',
		});
		// the refresher audits its attempt on its own row, as for every attempt
		expect(rows.filter((row) => row.request_id === null)).toMatchObject([
			{ action: 'connection.refresh', error_code: 'FAILED', client_id: 'acme', service: 'crm' },
		]);
		for (const token of ['at-audit-crm', 'rt-audit-crm', 'vault-app-secret'])
			expect(JSON.stringify(rows)).not.toContain(token);
	});

	it('429 RATE_LIMITED for a token over its budget: one row per request, the refused included', async () => {
		let refused: Awaited<ReturnType<typeof audited>> | undefined;
		for (let sent = 0; sent <= RATE_LIMIT_MAX && !refused; sent += 1) {
			const answer = await audited({
				method: 'PUT',
				url: connectionUrl,
				headers: asInternal,
				payload: { api_key: SECRET },
			});
			expect(answer.rows).toHaveLength(1);
			if (answer.response.statusCode === 429) refused = answer;
		}
		expect(refused).toBeDefined();
		expect(refused!.rows[0]).toMatchObject({
			action: 'connection.store',
			status_code: 429,
			error_code: 'RATE_LIMITED',
			actor_id: 'env:INTERNAL_API_TOKEN:1',
			client_id: 'acme',
			service: 'keys',
		});
	});

	it('401 and the 429 for an address past its failed authentications: no row each, one aggregated row', async () => {
		const statuses: number[] = [];
		const since = await lastId();
		for (let sent = 0; sent <= AUTH_FAILURE_LIMIT; sent += 1) {
			const { response, rows } = await audited({
				url: '/v1/credentials/acme/keys',
				headers: bearer('wrong-token-5e1a'),
			});
			statuses.push(response.statusCode);
			expect(response.json().code).toBe(
				response.statusCode === 429 ? 'RATE_LIMITED' : 'UNAUTHORIZED',
			);
			// (a minute ending meanwhile writes the aggregate so far)
			expect(rows.filter((row) => row.action !== 'auth.refusals')).toHaveLength(0);
		}
		expect(statuses).toEqual([...Array(AUTH_FAILURE_LIMIT).fill(401), 429]);
		await vault.app.authRefusals.flush();
		const rows = await vault.database.db.query<AuditRow>(
			'SELECT * FROM audit_log WHERE id > $1 ORDER BY id',
			[since],
		);
		for (const secret of NEVER_AUDITED) expect(JSON.stringify(rows)).not.toContain(secret);
		expect(rows.every((row) => row.action === 'auth.refusals' && row.ip === '127.0.0.1')).toBe(
			true,
		);
		expect(rows.length).toBeGreaterThanOrEqual(1);
		expect(rows.length).toBeLessThanOrEqual(2);
		const counted = (key: 'count' | 'invalid_token' | 'auth_blocked') =>
			rows.reduce((sum, row) => {
				const details = row.details as { count: number; reasons: Record<string, number> };
				return sum + ((key === 'count' ? details.count : details.reasons[key]) ?? 0);
			}, 0);
		expect(counted('count')).toBe(AUTH_FAILURE_LIMIT + 1);
		expect(counted('invalid_token')).toBe(AUTH_FAILURE_LIMIT);
		expect(counted('auth_blocked')).toBe(1);
	});
});
