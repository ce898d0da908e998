import postgres from 'postgres';
import type { Database, Queryable } from './database.js';
import { listenOnOwnConnection } from './postgres-listener.js';
import { ConnectionWaitPolicy, DEFAULT_CONNECTION_WAIT_MS } from './connection-wait.js';

export interface PostgresOptions {
	url: string;
	poolSize: number;
	connectTimeoutSeconds?: number;
	/** How long a statement or a transaction may wait for a connection (see connection-wait.ts). */
	connectionWaitMs?: number;
	/**
	 * Named prepared statements (default true). False behind a transaction pooler, where the next
	 * statement may reach a server connection that never saw the PREPARE: each statement is then
	 * sent as an unnamed one (extended protocol, still parameterised).
	 */
	prepare?: boolean;
	/**
	 * Where LISTEN connects: a URL that reaches the server itself, since a transaction pooler hands
	 * the session to other clients between statements. Default `url`; null: no listening (`listen`
	 * rejects).
	 */
	listenUrl?: string | null;
}

/** postgres.js sets a query's `state` (its backend) when it sends it on a connection. */
const sent = (query: object) => (query as unknown as { state: unknown }).state !== null;

/**
 * The driver's wait before reconnecting, in seconds: 50 ms doubling to 1 s. Its default grows to
 * 20 s across the whole pool while the server is down, which delays the recovery by as much after
 * the server is back.
 */
const reconnectDelay = (retries: number) =>
	Math.min(0.05 * 2 ** retries, 1) * (0.5 + Math.random() / 2);

type Sql = postgres.Sql | postgres.TransactionSql;

/** Statements and transactions under way: each holds one pooled connection (an estimate of pool use). */
interface Busy {
	count: number;
}

function queryableOf(
	sql: Sql,
	wait: ConnectionWaitPolicy,
	prepare: boolean,
	busy?: Busy,
): Queryable {
	return {
		async query<Row>(text: string, params: readonly unknown[] = []) {
			if (busy) busy.count += 1;
			try {
				const query = sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
					prepare,
				});
				const rows = await wait.bound(
					query,
					() => sent(query),
					() => void query.cancel(),
				);
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
		prepare: options.prepare ?? true,
		connect_timeout: options.connectTimeoutSeconds ?? 5,
		backoff: reconnectDelay,
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
	const wait = new ConnectionWaitPolicy(options.connectionWaitMs ?? DEFAULT_CONNECTION_WAIT_MS);
	const prepare = options.prepare ?? true;
	const base = queryableOf(sql, wait, prepare, busy);
	const database: Database = {
		kind: 'postgres',
		...base,
		async transaction(work) {
			busy.count += 1;
			let started = false;
			let abandoned = false;
			try {
				// a transaction given up while it waited must not run later, unseen by its caller
				const run = sql.begin((tx) => {
					if (abandoned)
						throw new Error('transaction abandoned: it waited too long for a connection');
					started = true;
					return work(queryableOf(tx, wait, prepare));
				});
				return (await wait.bound(
					run,
					() => started,
					() => (abandoned = true),
				)) as Awaited<ReturnType<typeof work>>;
			} finally {
				busy.count -= 1;
			}
		},
		withOwnConnection: () => openPostgresDatabase({ ...options, poolSize: 1 }),
		async listen(channel, handlers) {
			const listenUrl = options.listenUrl === undefined ? options.url : options.listenUrl;
			if (listenUrl === null)
				throw new Error('no LISTEN through a transaction pooler: set DATABASE_DIRECT_URL');
			return listenOnOwnConnection(
				{
					url: listenUrl,
					connectTimeoutSeconds: options.connectTimeoutSeconds ?? 5,
					backoff: reconnectDelay,
				},
				channel,
				handlers,
			);
		},
		poolUsage: () => ({ inUse: Math.min(busy.count, options.poolSize), size: options.poolSize }),
		async ping() {
			await sql`select 1`;
		},
		async close() {
			await sql.end({ timeout: 5 });
		},
	};
	return database;
}
