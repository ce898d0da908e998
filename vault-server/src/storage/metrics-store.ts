import type { Queryable } from './database.js';

/** The counts behind the scrape-time gauges: one small aggregate query each, no secrets. */
export function metricsStore(db: Queryable) {
	return {
		async connectionStates(expiringHours: number) {
			return db.query<{ state: string; count: number }>(
				`SELECT CASE
					WHEN status <> 'active' THEN status
					WHEN expires_at IS NULL THEN 'no_expiry'
					WHEN expires_at <= now() THEN 'expired'
					WHEN expires_at <= now() + make_interval(hours => $1) THEN 'expiring'
					ELSE 'valid' END AS state, count(*)::int AS count
				 FROM connections GROUP BY 1`,
				[expiringHours],
			);
		},

		async apiTokenStates(warningDays: number) {
			return db.query<{ state: string; count: number }>(
				`SELECT CASE
					WHEN revoked_at IS NOT NULL THEN 'revoked'
					WHEN expires_at IS NULL THEN 'no_expiry'
					WHEN expires_at <= now() THEN 'expired'
					WHEN expires_at <= now() + make_interval(days => $1) THEN 'expiring'
					ELSE 'valid' END AS state, count(*)::int AS count
				 FROM api_tokens GROUP BY 1`,
				[warningDays],
			);
		},
	};
}
