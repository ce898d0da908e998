import type { Database, Queryable } from './database.js';

const ROLLBACK = Symbol('roll back the request transaction');

/**
 * One request's writes in one transaction, begun at the request's first statement and ended by
 * `end`: so an admin write and its audit row commit together or not at all. `db` is a Database
 * whose statements all run in that transaction (a nested `transaction` joins it: an error there
 * undoes the whole request). Only for writes that need no other connection while it is open: on
 * PGlite, with one connection, a statement outside it would wait for it.
 */
export class RequestTransaction {
	#tx: Promise<Queryable> | undefined;
	#finish: ((commit: boolean) => void) | undefined;
	#settled: Promise<void> | undefined;
	readonly db: Database;

	constructor(private readonly base: Database) {
		const inTx = (): Promise<Queryable> => (this.#tx ??= this.#begin());
		this.db = {
			...base,
			query: async (text, params) => (await inTx()).query(text, params),
			script: async (text) => (await inTx()).script(text),
			transaction: async (work) => work(await inTx()),
		};
	}

	/** Whether a statement ran, so there is a transaction to end. */
	get started(): boolean {
		return this.#tx !== undefined;
	}

	/** The open transaction, begun now if no statement ran yet. */
	queryable(): Promise<Queryable> {
		return (this.#tx ??= this.#begin());
	}

	/**
	 * Commits (`commit` true) or rolls back, and resolves once that is done; a failed commit
	 * rejects with the database's error. Without a transaction begun it does nothing.
	 */
	async end(commit: boolean): Promise<void> {
		if (!this.#tx) return;
		await this.#tx.catch(() => undefined);
		this.#finish?.(commit);
		if (commit) await this.#settled;
		else await this.#settled?.catch(() => undefined);
	}

	#begin(): Promise<Queryable> {
		return new Promise<Queryable>((resolve, reject) => {
			let begun = false;
			this.#settled = this.base
				.transaction(async (tx) => {
					begun = true;
					const decision = new Promise<boolean>((decide) => (this.#finish = decide));
					resolve(tx);
					if (!(await decision)) throw ROLLBACK;
				})
				.catch((error: unknown) => {
					if (error === ROLLBACK) return;
					if (!begun) reject(error);
					throw error;
				});
			// a BEGIN that failed is reported to the statement that asked for it, not here
			this.#settled.catch(() => undefined);
		});
	}
}
