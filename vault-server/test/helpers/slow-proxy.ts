import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import postgres from 'postgres';
import { vi } from 'vitest';

/** How long a test waits for the proxied connection to open: a bound for a busy machine. */
const OPEN_BOUND_MS = 30_000;

/**
 * A TCP proxy to the PostgreSQL of `databaseUrl` that holds every new connection back until
 * `release()`: a database that is slow to connect, for as long as the test decides, with no timer.
 * Emits `'held'` when a connection arrives and `'forward'` when it is piped to PostgreSQL.
 */
export class SlowProxy extends EventEmitter {
	/** Connections made through the proxy carry this application_name, to find them in pg_stat_activity. */
	readonly applicationName = `otobot_slow_proxy_${randomBytes(4).toString('hex')}`;
	#held: Socket[] = [];
	#open = new Set<Socket>();
	#released = false;
	forwarded = 0;

	private constructor(
		private readonly target: URL,
		private readonly server: Server,
	) {
		super();
		server.on('connection', (socket) => {
			socket.on('error', () => {});
			this.#open.add(socket);
			socket.once('close', () => this.#open.delete(socket));
			this.#held.push(socket);
			this.emit('held');
			if (this.#released) this.#forwardHeld();
		});
	}

	static async start(databaseUrl: string): Promise<SlowProxy> {
		const server = createServer();
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		return new SlowProxy(new URL(databaseUrl), server);
	}

	/** The database URL through the proxy. */
	get url(): string {
		const url = new URL(this.target);
		url.host = `127.0.0.1:${(this.server.address() as { port: number }).port}`;
		url.searchParams.set('application_name', this.applicationName);
		return url.toString();
	}

	/** Forwards the held connections, and every later one at once. */
	release() {
		this.#released = true;
		this.#forwardHeld();
	}

	/**
	 * Resolves once a connection made through the proxy is open and idle in PostgreSQL (the
	 * client finished its start-up and sent nothing more), read from pg_stat_activity.
	 */
	async connectionIdle(): Promise<void> {
		const admin = postgres(this.target.toString(), { max: 1, onnotice: () => {} });
		try {
			await vi.waitFor(
				async () => {
					const rows = await admin`SELECT 1 FROM pg_stat_activity
						WHERE application_name = ${this.applicationName} AND state = 'idle'`;
					if (rows.length === 0) throw new Error('no idle connection through the proxy yet');
				},
				{ timeout: OPEN_BOUND_MS, interval: 50 },
			);
		} finally {
			await admin.end();
		}
	}

	async close() {
		const closed = once(this.server, 'close');
		this.server.close();
		for (const socket of this.#open) socket.destroy();
		await closed;
	}

	#forwardHeld() {
		for (const socket of this.#held.splice(0)) {
			const upstream = connect(Number(this.target.port || 5432), this.target.hostname);
			upstream.on('error', () => socket.destroy());
			socket.pipe(upstream).pipe(socket);
			this.forwarded += 1;
			this.emit('forward');
		}
	}
}
