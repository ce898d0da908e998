/**
 * The one database interface of the vault. Two implementations: PostgreSQL through postgres.js
 * (production) and PGlite (the embedded default). SQL is always parameterised ($1, $2, ...).
 */
export interface Queryable {
	query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
	/** Runs a script of several statements without parameters (migrations). */
	script(text: string): Promise<void>;
}

export interface ListenHandlers {
	notify(payload: string): void;
	listening(up: boolean): void;
}

export interface Database extends Queryable {
	readonly kind: 'postgres' | 'pglite';
	/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
	transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
	/**
	 * Hands each NOTIFY payload on `channel` to `handlers.notify`, and tells `handlers.listening`
	 * whenever the subscription starts or is lost (notifications sent meanwhile are gone).
	 * Resolves once first listening; the returned function stops (and tells nothing more).
	 */
	listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>;
	/**
	 * A database of one connection of its own to the same server, for a stream of statements that
	 * should neither wait behind the pool's nor wake a different backend each time (PGlite, with
	 * its one connection, answers itself). Close it before this one.
	 */
	withOwnConnection(): Database;
	/** Resolves when the database answers a trivial query. */
	ping(): Promise<void>;
	/** Connections in use and the pool's size (PostgreSQL); PGlite has one connection. */
	poolUsage(): { inUse: number; size: number };
	/**
	 * PGlite only: its data directory as a gzip-compressed tar (PGlite's `dumpDataDir`), taken
	 * between statements of its one connection, so consistent.
	 */
	dumpDataDir?(): Promise<Blob>;
	close(): Promise<void>;
}
