import type { Queryable } from './database.js';
import type { Violation } from './alerts-store.js';

const CONNECTION_SUBJECT = `k.client_id || '/' || k.service AS subject, k.client_id, k.service`;

/** The queries behind the alert rules: what is in violation now. Each reads an index. */
export function alertConditionsStore(db: Queryable) {
	return {
		/** Tokens expired more than `days` days ago (connections_expires_at). */
		async expiredSince(days: number) {
			return db.query<Violation>(
				`SELECT ${CONNECTION_SUBJECT}, jsonb_build_object('expires_at', k.expires_at, 'status', k.status,
					'has_refresh_token', k.refresh_token_ciphertext IS NOT NULL, 'last_error', k.last_error) AS details
				 FROM connections k
				 WHERE k.expires_at IS NOT NULL AND k.expires_at < now() - make_interval(days => $1)
				   AND k.status <> 'disabled'
				 ORDER BY k.client_id, k.service`,
				[days],
			);
		},

		/** Connections whose refresh failed more than `failures` times in a row (connections_refresh_failures). */
		async refreshFailuresAbove(failures: number) {
			return db.query<Violation>(
				`SELECT ${CONNECTION_SUBJECT}, jsonb_build_object('refresh_failures', k.refresh_failures,
					'last_error', k.last_error, 'status', k.status, 'next_refresh_at', k.next_refresh_at) AS details
				 FROM connections k
				 WHERE k.refresh_failures > GREATEST($1::int, 0) AND k.status <> 'disabled'
				 ORDER BY k.client_id, k.service`,
				[failures],
			);
		},

		/** Connections never used although created more than `days` days ago (connections_last_use). */
		async neverUsedAfter(days: number) {
			return db.query<Violation>(
				`SELECT ${CONNECTION_SUBJECT}, jsonb_build_object('created_at', k.created_at, 'days', $1::int) AS details
				 FROM connections k
				 WHERE COALESCE(k.last_used_at, k.created_at) < now() - make_interval(days => $1)
				   AND k.last_used_at IS NULL AND k.status <> 'disabled'
				 ORDER BY k.client_id, k.service`,
				[days],
			);
		},

		/** Services whose OAuth app the provider refused: one per service, not per connection. */
		async servicesAppRefused() {
			return db.query<Violation>(
				`SELECT 'service/' || s.name AS subject, NULL AS client_id, s.name AS service,
					jsonb_build_object('app_error', s.app_error, 'app_error_at', s.app_error_at,
						'connections', (SELECT count(*)::int FROM connections k WHERE k.service = s.name)) AS details
				 FROM services s WHERE s.app_error IS NOT NULL ORDER BY s.name`,
			);
		},

		/** Kinds of critical error seen at least `threshold` times within the window. */
		async criticalErrorsWithin(windowMs: number, threshold: number) {
			return db.query<Violation>(
				`SELECT 'vault/' || kind AS subject, NULL AS client_id, NULL AS service,
					jsonb_build_object('kind', kind, 'count', sum(count)::int, 'window_seconds', $1::int / 1000,
						'last_at', max(last_at)) AS details
				 FROM critical_errors
				 WHERE last_at > now() - make_interval(secs => ($1::int / 1000.0)::double precision)
				 GROUP BY kind HAVING sum(count) >= $2
				 ORDER BY kind`,
				[windowMs, threshold],
			);
		},
	};
}
