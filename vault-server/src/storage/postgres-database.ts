import postgres from 'postgres';
import type { Database, Queryable } from './database.js';

export interface PostgresOptions {
	url: string;
	poolSize: number;
	connectTimeoutSeconds?: number;
}

type Sql = postgres.Sql | postgres.TransactionSql;

/** Statements and transactions under way: each holds one pooled connection (an estimate of pool use). */
interface Busy {
	count: number;
}

function queryableOf(sql: Sql, busy?: Busy): Queryable {
	return {
		async query<Row>(text: string, params: readonly unknown[] = []) {
			if (busy) busy.count += 1;
			try {
				const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
					prepare: true,
				});
				return rows as unknown as Row[];
			} finally {
				if (busy) busy.count -= 1;
			}
		},
		async script(text: string) {
			await sql.unsafe(text).simple();
		},
	};
}

export function openPostgresDatabase(options: PostgresOptions): Database {
	const sql = postgres(options.url, {
		max: options.poolSize,
		connect_timeout: options.connectTimeoutSeconds ?? 5,
		onnotice: () => {},
		// int8 as a JS number, as PGlite does: counts and audit ids stay far below 2^53
		types: {
			bigint: {
				to: 20,
				from: [20],
				serialize: (value: number) => String(value),
				parse: (value: string) => Number(value),
			},
		},
	});
	const busy: Busy = { count: 0 };
	const base = queryableOf(sql, busy);
	return {
		kind: 'postgres',
		...base,
		async transaction(work) {
			busy.count += 1;
			try {
				return (await sql.begin((tx) => work(queryableOf(tx)))) as Awaited<ReturnType<typeof work>>;
			} finally {
				busy.count -= 1;
			}
		},
		poolUsage: () => ({ inUse: Math.min(busy.count, options.poolSize), size: options.poolSize }),
		async ping() {
			await sql`select 1`;
		},
		async close() {
			await sql.end({ timeout: 5 });
		},
	};
}
