import type { Queryable } from './database.js';

export type AlertRule =
	| 'connection_expired'
	| 'refresh_failing'
	| 'connection_unused'
	| 'critical_errors'
	| 'service_app_refused';
export type AlertStatus = 'open' | 'resolved';

export interface AlertRow {
	id: number;
	rule: AlertRule;
	subject: string;
	client_id: string | null;
	service: string | null;
	status: AlertStatus;
	details: Record<string, unknown>;
	first_seen_at: Date;
	last_seen_at: Date;
	resolved_at: Date | null;
	open_notified_at: Date | null;
	resolve_notified_at: Date | null;
}

/** A subject a rule finds in violation now. */
export interface Violation {
	subject: string;
	client_id: string | null;
	service: string | null;
	details: Record<string, unknown>;
}

export function alertsStore(db: Queryable) {
	return {
		/**
		 * Opens an alert per violation, or refreshes the open one (the partial unique index allows one
		 * open alert per rule and subject). Returns the alerts opened by this call.
		 */
		async upsertOpen(rule: AlertRule, violations: Violation[]) {
			if (violations.length === 0) return [];
			const rows = await db.query<AlertRow & { opened: boolean }>(
				`INSERT INTO alerts (rule, subject, client_id, service, details)
				 SELECT $1, v.subject, v.client_id, v.service, v.details
				 FROM jsonb_to_recordset($2::jsonb) AS v(subject text, client_id text, service text, details jsonb)
				 ON CONFLICT (rule, subject) WHERE status = 'open'
				 DO UPDATE SET last_seen_at = now(), details = EXCLUDED.details
				 RETURNING *, (xmax = 0) AS opened`,
				[rule, violations],
			);
			return rows.filter((row) => row.opened).map(({ opened: _opened, ...row }) => row as AlertRow);
		},

		/** Resolves the rule's open alerts whose subject is no longer in violation. */
		async resolveAllBut(rule: AlertRule, subjects: string[]) {
			return db.query<AlertRow>(
				`UPDATE alerts SET status = 'resolved', resolved_at = now()
				 WHERE rule = $1 AND status = 'open' AND NOT (subject = ANY($2::text[]))
				 RETURNING *`,
				[rule, subjects],
			);
		},

		/**
		 * Newest first, `limit` at a time; `beforeId` pages on by keyset (ids below it), read in
		 * index order through alerts_status_id (one status) or the primary key (`all`).
		 */
		async list(status: AlertStatus | 'all', limit: number, beforeId?: number) {
			return db.query<AlertRow>(
				`SELECT * FROM alerts
				 WHERE ($1 = 'all' OR status = $1) AND ($3::bigint IS NULL OR id < $3)
				 ORDER BY id DESC LIMIT $2`,
				[status, limit, beforeId ?? null],
			);
		},

		async countOpenByRule() {
			return db.query<{ rule: AlertRule; count: number }>(
				`SELECT rule, count(*)::int AS count FROM alerts WHERE status = 'open' GROUP BY rule`,
			);
		},

		/** Alerts whose open or resolve notification was not delivered yet, changed since `since`. */
		async unnotified(since: Date, limit: number) {
			return db.query<AlertRow>(
				`SELECT * FROM alerts
				 WHERE (open_notified_at IS NULL OR (status = 'resolved' AND resolve_notified_at IS NULL))
				   AND COALESCE(resolved_at, first_seen_at) >= $1
				 ORDER BY id LIMIT $2`,
				[since, limit],
			);
		},

		async markNotified(id: number, event: 'opened' | 'resolved') {
			const column = event === 'opened' ? 'open_notified_at' : 'resolve_notified_at';
			await db.query(`UPDATE alerts SET ${column} = now() WHERE id = $1`, [id]);
		},
	};
}

export type AlertsStore = ReturnType<typeof alertsStore>;
