import { VaultError, clientNotFound } from '../errors.js';
import type { Queryable } from '../storage/database.js';
import { clientsStore, type ClientListOptions, type ClientRow } from '../storage/clients-store.js';

export interface ClientInput {
	id: string;
	name: string;
	email?: string | null;
}

export async function createClient(db: Queryable, input: ClientInput): Promise<ClientRow> {
	const row = await clientsStore(db).insert(input);
	if (!row) throw new VaultError('CLIENT_EXISTS', `A client with id '${input.id}' already exists`);
	return row;
}

export async function getClient(db: Queryable, id: string): Promise<ClientRow> {
	const row = await clientsStore(db).get(id);
	if (!row) throw clientNotFound(id);
	return row;
}

export async function updateClient(
	db: Queryable,
	id: string,
	patch: { name?: string; email?: string | null },
): Promise<ClientRow> {
	const row = await clientsStore(db).update(id, patch);
	if (!row) throw clientNotFound(id);
	return row;
}

export async function deleteClient(db: Queryable, id: string): Promise<void> {
	if (!(await clientsStore(db).delete(id))) throw clientNotFound(id);
}

/** One page of clients in id order (keyset: `after`), filtered by `q` and `service` when given. */
export const listClients = (db: Queryable, options: ClientListOptions) =>
	clientsStore(db).list(options);
