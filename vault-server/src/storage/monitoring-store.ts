import type { Queryable } from './database.js';

export interface MonitoredConnection {
	client_id: string;
	service: string;
	type: string;
	status: string;
	expires_at: Date | null;
	last_used_at: Date | null;
	last_refreshed_at: Date | null;
	refresh_failures: number;
	last_error: string | null;
	created_at: Date;
}

export interface MonitoredToken {
	id: string;
	name: string;
	scope: string;
	prefix: string;
	expires_at: Date;
	last_used_at: Date | null;
	expired: boolean;
}

const COLUMNS = `k.client_id, k.service, s.oauth_type AS type, k.status, k.expires_at, k.last_used_at,
	k.last_refreshed_at, k.refresh_failures, k.last_error, k.created_at`;
const FROM = 'FROM connections k JOIN services s ON s.name = k.service';

export type ConnectionCategory =
	| 'expired'
	| 'expiring'
	| 'refresh_errors'
	| 'unused'
	| 'needs_reauth';

/** Each category's condition; every one is served by an index of 0001 or 0004. */
const WHERE: Record<ConnectionCategory, string> = {
	expired: `k.expires_at IS NOT NULL AND k.expires_at <= now() AND k.status <> 'disabled'`,
	expiring: `k.expires_at > now() AND k.expires_at <= now() + make_interval(hours => p.hours) AND k.status <> 'disabled'`,
	refresh_errors: `k.refresh_failures > 0 AND k.status <> 'disabled'`,
	unused: `COALESCE(k.last_used_at, k.created_at) < now() - make_interval(days => p.days) AND k.status <> 'disabled'`,
	needs_reauth: `k.status <> 'active' AND k.status = 'needs_reauth'`,
};
const ORDER: Record<ConnectionCategory, string> = {
	expired: 'k.expires_at',
	expiring: 'k.expires_at',
	refresh_errors: 'k.refresh_failures DESC, k.client_id, k.service',
	unused: 'COALESCE(k.last_used_at, k.created_at)',
	needs_reauth: 'k.client_id, k.service',
};

export function monitoringStore(db: Queryable) {
	return {
		/** One category's connections (at most `limit`) and how many there are in all. */
		async connections(
			category: ConnectionCategory,
			limit: number,
			expiringHours: number,
			unusedDays: number,
		) {
			const rows = await db.query<MonitoredConnection & { total: number }>(
				`WITH p AS (SELECT $2::int AS hours, $3::int AS days)
				 SELECT ${COLUMNS}, count(*) OVER ()::int AS total ${FROM} CROSS JOIN p
				 WHERE ${WHERE[category]} ORDER BY ${ORDER[category]} LIMIT $1`,
				[limit, expiringHours, unusedDays],
			);
			return {
				total: rows[0]?.total ?? 0,
				items: rows.map(({ total: _total, ...row }) => row as MonitoredConnection),
			};
		},

		async countConnections(): Promise<number> {
			const rows = await db.query<{ count: number }>(
				'SELECT count(*)::int AS count FROM connections',
			);
			return rows[0]?.count ?? 0;
		},

		/** Unrevoked tokens expiring within `days` days, or already expired (api_tokens_expires_at). */
		async tokensExpiringWithin(days: number) {
			return db.query<MonitoredToken>(
				`SELECT id, name, scope, token_prefix AS prefix, expires_at, last_used_at, expires_at <= now() AS expired
				 FROM api_tokens
				 WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= now() + make_interval(days => $1)
				 ORDER BY expires_at`,
				[days],
			);
		},
	};
}
