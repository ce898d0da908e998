import type { AlertSettings } from '../../config/config.js';
import type { Database } from '../../storage/database.js';
import { alertsStore, type AlertStatus } from '../../storage/alerts-store.js';
import { RULE_TITLES } from './alert-rules.js';

/** Alerts as the API shows them: with their rule's title, without the outbox bookkeeping. */
export async function listAlerts(
	db: Database,
	settings: AlertSettings,
	status: AlertStatus | 'all',
	limit: number,
) {
	const titles = RULE_TITLES(settings);
	const rows = await alertsStore(db).list(status, limit);
	return rows.map(({ open_notified_at: _opened, resolve_notified_at: _resolved, ...row }) => ({
		...row,
		title: titles[row.rule],
	}));
}
