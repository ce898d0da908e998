import type { Queryable } from './database.js';

/**
 * Where encrypted values live in the schema: a table, the columns that identify a row, and the
 * ciphertext columns. `versionColumn` names a column recording the key version of every
 * ciphertext of the row (rewritten with them); without it the version is read from the
 * ciphertext itself (bytes 1..4, see crypto/envelope.ts).
 */
export interface CiphertextTable {
	table: string;
	keyColumns: readonly string[];
	ciphertextColumns: readonly string[];
	versionColumn?: string;
}

export type RowKey = Record<string, string>;

export interface StaleRow {
	key: RowKey;
	/** Ciphertexts in the order of `ciphertextColumns`; null where the column is empty. */
	ciphertexts: (Uint8Array | null)[];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

// identifiers come from the registry in code, never from input; checked anyway before use in SQL
function ident(name: string): string {
	if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
	return name;
}

/** The key version a bytea ciphertext names: uint32 big-endian at bytes 1..4. */
const versionOfBytes = (column: string) =>
	`((get_byte(${column}, 1)::bigint << 24) + (get_byte(${column}, 2) << 16) + ` +
	`(get_byte(${column}, 3) << 8) + get_byte(${column}, 4))::int`;

/** A row is stale when one of its ciphertexts is under another version than `$1`. */
function staleCondition(place: CiphertextTable): string {
	if (place.versionColumn) return `${ident(place.versionColumn)} <> $1`;
	return place.ciphertextColumns
		.map((column) => `(${ident(column)} IS NOT NULL AND ${versionOfBytes(column)} <> $1)`)
		.join(' OR ');
}

export function ciphertextStore(db: Queryable, place: CiphertextTable) {
	const table = ident(place.table);
	const keys = place.keyColumns.map(ident);
	const columns = place.ciphertextColumns.map(ident);

	return {
		/** How many ciphertexts each key version protects here, read from the ciphertexts themselves. */
		async countByVersion(): Promise<Map<number, number>> {
			const parts = columns.map(
				(column) =>
					`SELECT ${versionOfBytes(column)} AS version FROM ${table} WHERE ${column} IS NOT NULL`,
			);
			const rows = await db.query<{ version: number; count: number }>(
				`SELECT version, count(*)::int AS count FROM (${parts.join(' UNION ALL ')}) AS v GROUP BY version`,
			);
			return new Map(rows.map((row) => [row.version, row.count]));
		},

		/** Rows with a ciphertext under another version than `target`. */
		async countStaleRows(target: number): Promise<number> {
			const rows = await db.query<{ count: number }>(
				`SELECT count(*)::int AS count FROM ${table} WHERE ${staleCondition(place)}`,
				[target],
			);
			return rows[0]?.count ?? 0;
		},

		/**
		 * Up to `limit` stale rows after `after` (key order), locked for this transaction. Rows
		 * another transaction holds are skipped, not waited for: the caller comes back for them.
		 */
		async lockStaleBatch(
			target: number,
			after: string[] | undefined,
			limit: number,
		): Promise<StaleRow[]> {
			const params: unknown[] = [target, limit];
			let cursor = '';
			if (after) {
				cursor = ` AND (${keys.join(', ')}) > (${after.map((_, i) => `$${i + 3}`).join(', ')})`;
				params.push(...after);
			}
			const rows = await db.query<Record<string, unknown>>(
				`SELECT ${[...keys, ...columns].join(', ')} FROM ${table}
				 WHERE (${staleCondition(place)})${cursor}
				 ORDER BY ${keys.join(', ')} LIMIT $2 FOR UPDATE SKIP LOCKED`,
				params,
			);
			return rows.map((row) => ({
				key: Object.fromEntries(keys.map((key) => [key, String(row[key])])),
				ciphertexts: columns.map((column) => (row[column] as Uint8Array | null) ?? null),
			}));
		},

		/** Up to `limit` rows after `after` (key order), every one, stale or not, unlocked. */
		async page(after: string[] | undefined, limit: number): Promise<StaleRow[]> {
			const params: unknown[] = [limit];
			let cursor = '';
			if (after) {
				cursor = `WHERE (${keys.join(', ')}) > (${after.map((_, i) => `$${i + 2}`).join(', ')})`;
				params.push(...after);
			}
			const rows = await db.query<Record<string, unknown>>(
				`SELECT ${[...keys, ...columns].join(', ')} FROM ${table} ${cursor}
				 ORDER BY ${keys.join(', ')} LIMIT $1`,
				params,
			);
			return rows.map((row) => ({
				key: Object.fromEntries(keys.map((key) => [key, String(row[key])])),
				ciphertexts: columns.map((column) => (row[column] as Uint8Array | null) ?? null),
			}));
		},

		/**
		 * Replaces a row's ciphertexts only if they are still the ones read (a write or a refresh
		 * since makes new ones, which win). `false` means the row changed and was left alone.
		 */
		async replaceIfUnchanged(
			row: StaleRow,
			next: (Uint8Array | null)[],
			version: number,
		): Promise<boolean> {
			const params: unknown[] = [...keys.map((key) => row.key[key]), ...next, ...row.ciphertexts];
			let at = 0;
			const placeholder = () => `$${++at}`;
			const where = keys.map((key) => `${key} = ${placeholder()}`);
			const sets = columns.map((column) => `${column} = ${placeholder()}`);
			where.push(...columns.map((column) => `${column} IS NOT DISTINCT FROM ${placeholder()}`));
			if (place.versionColumn) {
				params.push(version);
				sets.push(`${ident(place.versionColumn)} = ${placeholder()}`);
			}
			const rows = await db.query(
				`UPDATE ${table} SET ${sets.join(', ')} WHERE ${where.join(' AND ')} RETURNING 1 AS done`,
				params,
			);
			return rows.length > 0;
		},
	};
}
