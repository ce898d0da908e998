import type { AlertSettings } from '../../config/config.js';
import type { Database } from '../../storage/database.js';
import { alertsStore, type AlertStatus } from '../../storage/alerts-store.js';
import { RULE_TITLES } from './alert-rules.js';

/**
 * One page of alerts as the API shows them, newest first: with their rule's title, without the
 * outbox bookkeeping. `next_before_id` is the `beforeId` of the next page, null on the last one.
 */
export async function listAlerts(
	db: Database,
	settings: AlertSettings,
	query: { status: AlertStatus | 'all'; limit: number; beforeId?: number },
) {
	const titles = RULE_TITLES(settings);
	// one row more than asked says whether a next page exists
	const rows = await alertsStore(db).list(query.status, query.limit + 1, query.beforeId);
	const page = rows.slice(0, query.limit);
	return {
		alerts: page.map(({ open_notified_at: _opened, resolve_notified_at: _resolved, ...row }) => ({
			...row,
			title: titles[row.rule],
		})),
		next_before_id: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
	};
}
