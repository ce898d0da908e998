import type { Queryable } from './database.js';

export interface ClientRow {
	id: string;
	name: string;
	email: string | null;
	created_at: Date;
	updated_at: Date;
}

const COLUMNS = 'id, name, email, created_at, updated_at';

export interface ClientListOptions {
	limit: number;
	after?: string;
	q?: string;
	/** Only the clients with a connection to this service. */
	service?: string;
}

/** The clients connected to `service`, keyset on the client id (index connections_service_client). */
function listConnectedTo(db: Queryable, service: string, options: ClientListOptions) {
	return db.query<ClientRow>(
		`SELECT c.id, c.name, c.email, c.created_at, c.updated_at
		 FROM connections k JOIN clients c ON c.id = k.client_id
		 WHERE k.service = $4 AND ($1::text IS NULL OR k.client_id > $1)
		   AND ($3::text IS NULL OR position(lower($3) IN lower(c.id)) > 0
		        OR position(lower($3) IN lower(c.name)) > 0)
		 ORDER BY k.client_id LIMIT $2`,
		[options.after ?? null, options.limit, options.q ?? null, service],
	);
}

export function clientsStore(db: Queryable) {
	return {
		/** Inserts a client; `undefined` when the id is taken. */
		async insert(client: { id: string; name: string; email?: string | null }) {
			const rows = await db.query<ClientRow>(
				`INSERT INTO clients (id, name, email) VALUES ($1, $2, $3)
				 ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
				[client.id, client.name, client.email ?? null],
			);
			return rows[0];
		},

		/**
		 * One page of clients in id order after `after`; with `q`, only those whose id or name holds
		 * it, case-insensitively (position(), not LIKE: `%` and `_` in `q` are plain characters). The
		 * scan walks the primary key in order and stops at `limit` matches. With `service`, only the
		 * clients connected to it, walked through connections (service, client_id) in the same order.
		 */
		async list(options: ClientListOptions) {
			if (options.service !== undefined) return listConnectedTo(db, options.service, options);
			return db.query<ClientRow>(
				`SELECT ${COLUMNS} FROM clients
				 WHERE ($1::text IS NULL OR id > $1)
				   AND ($3::text IS NULL OR position(lower($3) IN lower(id)) > 0
				        OR position(lower($3) IN lower(name)) > 0)
				 ORDER BY id LIMIT $2`,
				[options.after ?? null, options.limit, options.q ?? null],
			);
		},

		async get(id: string) {
			const rows = await db.query<ClientRow>(`SELECT ${COLUMNS} FROM clients WHERE id = $1`, [id]);
			return rows[0];
		},

		async update(id: string, patch: { name?: string; email?: string | null }) {
			const rows = await db.query<ClientRow>(
				`UPDATE clients SET
					name = COALESCE($2, name),
					email = CASE WHEN $3::boolean THEN $4 ELSE email END,
					updated_at = now()
				 WHERE id = $1 RETURNING ${COLUMNS}`,
				[id, patch.name ?? null, patch.email !== undefined, patch.email ?? null],
			);
			return rows[0];
		},

		/** Deletes the client and, by cascade, its connections. */
		async delete(id: string): Promise<boolean> {
			const rows = await db.query('DELETE FROM clients WHERE id = $1 RETURNING id', [id]);
			return rows.length > 0;
		},
	};
}

export type ClientsStore = ReturnType<typeof clientsStore>;
