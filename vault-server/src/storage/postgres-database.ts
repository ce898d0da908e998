import postgres from 'postgres';
import type { Database, Queryable } from './database.js';

export interface PostgresOptions {
	url: string;
	poolSize: number;
	connectTimeoutSeconds?: number;
}

type Sql = postgres.Sql | postgres.TransactionSql;

function queryableOf(sql: Sql): Queryable {
	return {
		async query<Row>(text: string, params: readonly unknown[] = []) {
			const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
				prepare: true,
			});
			return rows as unknown as Row[];
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
	const base = queryableOf(sql);
	return {
		kind: 'postgres',
		...base,
		async transaction(work) {
			return (await sql.begin((tx) => work(queryableOf(tx)))) as Awaited<ReturnType<typeof work>>;
		},
		async ping() {
			await sql`select 1`;
		},
		async close() {
			await sql.end({ timeout: 5 });
		},
	};
}
