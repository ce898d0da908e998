import type { Database } from '../storage/database.js';
import { auditStore, type AuditQuery } from '../storage/audit-store.js';

/**
 * The audit rows GET /v1/audit answers: newest first, filtered by client, service and a start
 * time, at most `query.limit`. Each row's chain hash is given in hex; `prev_hash` is left out
 * (the chain is checked with `otobot-vault audit verify`, not by clients).
 */
export async function searchAudit(db: Database, query: AuditQuery) {
	const rows = await auditStore(db).search(query);
	return rows.map(({ prev_hash: _previous, ...row }) => ({
		...row,
		hash: Buffer.from(row.hash).toString('hex'),
	}));
}
