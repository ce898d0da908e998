import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { vi } from 'vitest';
import { WAIT_BOUND } from './bounds.js';
import { freePort } from './throwaway-postgres.js';

/** Where Debian's `pgbouncer` package puts the binary, or the one on PATH. */
function pgbouncerBinary(): string | undefined {
	const found = spawnSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' });
	if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
	return existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : undefined;
}

const BIN = pgbouncerBinary();

/**
 * Why a PgBouncer of a test's own cannot run here (undefined when it can): it needs the binary
 * (Debian: `apt-get install pgbouncer`) and root, to run it as `postgres` (it refuses root).
 */
export function throwawayPgbouncerMissing(): string | undefined {
	if (!BIN) return 'no pgbouncer binary (Debian package pgbouncer)';
	if (process.getuid?.() !== 0) return 'not root (pgbouncer refuses root, so it runs as postgres)';
	if (spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status !== 0)
		return 'no postgres user to run pgbouncer as';
	return undefined;
}

const accepts = (port: number) =>
	new Promise<void>((resolve, reject) => {
		const socket = connect(port, '127.0.0.1');
		socket.once('connect', () => (socket.destroy(), resolve()));
		socket.once('error', reject);
	});

/**
 * PgBouncer in transaction mode on a free port, in a temporary folder, in front of the PostgreSQL
 * server at `serverPort` (every database, trust authentication for `postgres`). `poolSize` server
 * connections per database and user: fewer than the clients, so consecutive transactions of one
 * client land on different server sessions, as in production.
 */
export class ThrowawayPgbouncer {
	private constructor(
		readonly directory: string,
		readonly port: number,
		private readonly child: ChildProcess,
	) {}

	static async start(serverPort: number, poolSize = 3): Promise<ThrowawayPgbouncer> {
		const directory = mkdtempSync(join(tmpdir(), 'otobot-pgbouncer-'));
		const port = await freePort();
		const config = join(directory, 'pgbouncer.ini');
		writeFileSync(join(directory, 'userlist.txt'), '"postgres" ""\n');
		writeFileSync(
			config,
			[
				'[databases]',
				`* = host=127.0.0.1 port=${serverPort}`,
				'[pgbouncer]',
				'listen_addr = 127.0.0.1',
				`listen_port = ${port}`,
				'unix_socket_dir =',
				'auth_type = trust',
				`auth_file = ${join(directory, 'userlist.txt')}`,
				'pool_mode = transaction',
				`default_pool_size = ${poolSize}`,
				'max_client_conn = 500',
				'admin_users = postgres',
				`pidfile = ${join(directory, 'pgbouncer.pid')}`,
				`logfile = ${join(directory, 'pgbouncer.log')}`,
				'',
			].join('\n'),
		);
		const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
		const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
		chownSync(directory, uid, gid);
		const child = spawn('runuser', ['-u', 'postgres', '--', BIN!, config], {
			cwd: directory,
			stdio: 'ignore',
		});
		const pooler = new ThrowawayPgbouncer(directory, port, child);
		await vi.waitFor(() => accepts(port), WAIT_BOUND);
		return pooler;
	}

	/** The pooler's URL for `database`, with the user `postgres`. */
	urlOf(database: string) {
		return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
	}

	/**
	 * Client and server connections in use (`SHOW LISTS` on the admin console): how many vault
	 * connections shared how many PostgreSQL sessions.
	 */
	async lists(): Promise<{ usedClients: number; usedServers: number }> {
		const sql = postgres(this.urlOf('pgbouncer'), { max: 1, fetch_types: false, prepare: false });
		try {
			const rows = await sql.unsafe<{ list: string; items: number }[]>('SHOW LISTS').simple();
			const item = (name: string) => Number(rows.find((row) => row.list === name)?.items ?? 0);
			return { usedClients: item('used_clients'), usedServers: item('used_servers') };
		} finally {
			await sql.end();
		}
	}

	/** What PgBouncer logged (its errors name refused statements and startup parameters). */
	log(): string {
		return readFileSync(join(this.directory, 'pgbouncer.log'), 'utf8');
	}

	/** Stops PgBouncer (SIGTERM: immediate shutdown), waits for its exit and removes the folder. */
	async stop() {
		if (this.child.exitCode === null && this.child.signalCode === null) {
			const exited = once(this.child, 'exit');
			const pidFile = join(this.directory, 'pgbouncer.pid');
			const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
			// runuser passes SIGTERM on to pgbouncer, and the pid file names it should it not
			this.child.kill('SIGTERM');
			try {
				if (pid) process.kill(pid, 'SIGTERM');
			} catch {
				// it already ended
			}
			await exited;
		}
		rmSync(this.directory, { recursive: true, force: true });
	}
}
