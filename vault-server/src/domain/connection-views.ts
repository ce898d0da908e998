import { clientNotFound, connectionNotFound } from '../errors.js';
import type { Database } from '../storage/database.js';
import { clientsStore } from '../storage/clients-store.js';
import { revokeOpenLinks } from './connect-link-admin.js';
import { connectionsStore, type ConnectionRow } from '../storage/connections-store.js';

/** A connection as the API shows it: its state, never its secrets. */
export function publicConnection(row: ConnectionRow) {
	return {
		client_id: row.client_id,
		service: row.service,
		type: row.type,
		status: row.status,
		token_type: row.token_type,
		scopes: row.scopes,
		expires_at: row.expires_at,
		has_refresh_token: row.refresh_token_ciphertext !== null,
		last_used_at: row.last_used_at,
		last_refreshed_at: row.last_refreshed_at,
		next_refresh_at: row.next_refresh_at,
		refresh_failures: row.refresh_failures,
		last_error: row.last_error,
		metadata: row.metadata,
		created_at: row.created_at,
		updated_at: row.updated_at,
	};
}

export async function listConnections(db: Database, clientId: string) {
	const rows = await connectionsStore(db).listForClient(clientId);
	if (rows.length === 0 && !(await clientsStore(db).get(clientId))) throw clientNotFound(clientId);
	return rows.map(publicConnection);
}

export async function getConnection(db: Database, clientId: string, service: string) {
	const row = await connectionsStore(db).get(clientId, service);
	if (row) return publicConnection(row);
	if (!(await clientsStore(db).get(clientId))) throw clientNotFound(clientId);
	throw connectionNotFound(clientId, service);
}

export async function deleteConnection(db: Database, clientId: string, service: string) {
	if (await connectionsStore(db).delete(clientId, service)) {
		await revokeOpenLinks(db, clientId, service, 'connection_deleted');
		return;
	}
	if (!(await clientsStore(db).get(clientId))) throw clientNotFound(clientId);
	throw connectionNotFound(clientId, service);
}
