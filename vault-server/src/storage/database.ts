/**
 * The one database interface of the vault. Two implementations: PostgreSQL through postgres.js
 * (production) and PGlite (the embedded default). SQL is always parameterised ($1, $2, ...).
 */
export interface Queryable {
	query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
	/** Runs a script of several statements without parameters (migrations). */
	script(text: string): Promise<void>;
}

export interface Database extends Queryable {
	readonly kind: 'postgres' | 'pglite';
	/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
	transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
	/** Resolves when the database answers a trivial query. */
	ping(): Promise<void>;
	/** Connections in use and the pool's size (PostgreSQL); PGlite has one connection. */
	poolUsage(): { inUse: number; size: number };
	close(): Promise<void>;
}
