import { VaultError } from '../errors.js';
import type { Queryable } from '../storage/database.js';
import {
	connectLinksStore,
	type ConnectLinkQuery,
	type ConnectLinkRow,
} from '../storage/connect-links-store.js';

/** Why links were revoked, as `revoked_reason` says. */
export type LinkRevocationReason = 'revoked' | 'connection_deleted' | 'connection_stored';

/** A connect link as the API and the CLI show it: never its token, which the vault does not keep. */
export interface ConnectLinkView {
	id: string;
	client_id: string;
	service: string;
	status: ConnectLinkRow['status'];
	created_by: string | null;
	created_at: Date;
	expires_at: Date;
	used_at: Date | null;
	revoked_at: Date | null;
	revoked_reason: string | null;
}

const viewOf = (row: ConnectLinkRow): ConnectLinkView => ({
	id: row.id,
	client_id: row.client_id,
	service: row.service,
	status: row.status,
	created_by: row.created_by,
	created_at: row.created_at,
	expires_at: row.expires_at,
	used_at: row.completed_at,
	revoked_at: row.revoked_at,
	revoked_reason: row.revoked_reason,
});

/**
 * One page of connect links, newest first, filtered by client, service and status. `next_after`
 * is the id to pass as `after` for the next page, null on the last page.
 */
export async function listConnectLinks(db: Queryable, query: ConnectLinkQuery) {
	const rows = await connectLinksStore(db).list(query);
	const links = rows.map(viewOf);
	const next = links.length === query.limit ? links[links.length - 1]!.id : null;
	return { links, next_after: next };
}

/**
 * Revokes a connect link: an open (or expired) link can no longer open an authorization nor
 * complete one, at once in every vault process. Revoking a revoked link changes nothing; a used
 * link stays used (it cannot be opened again anyway). Answers the link as it now is; throws
 * CONNECT_LINK_NOT_FOUND for an unknown id.
 */
export async function revokeConnectLink(db: Queryable, id: string): Promise<ConnectLinkView> {
	const row = await connectLinksStore(db).revoke(id, 'revoked');
	if (!row) throw new VaultError('CONNECT_LINK_NOT_FOUND', `No connect link has the id '${id}'`);
	return viewOf(row);
}

/**
 * Revokes the open links of a client's service once its connection was deleted or stored anew,
 * so a link sent earlier cannot attach another account to the client. Answers how many.
 */
export const revokeOpenLinks = (
	db: Queryable,
	clientId: string,
	service: string,
	reason: Exclude<LinkRevocationReason, 'revoked'>,
) => connectLinksStore(db).revokeOpen(clientId, service, reason);
