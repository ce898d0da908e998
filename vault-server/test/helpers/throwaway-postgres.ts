import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BIN = '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

/** Whether a cluster of our own can be made here: PostgreSQL 15's binaries and root to drop to `postgres`. */
export const canRunThrowawayPostgres = () =>
	process.getuid?.() === 0 && existsSync(`${BIN}/pg_ctl`);

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

/**
 * A PostgreSQL 15 cluster of a test's own, in a temporary folder, so the test can stop and start it
 * without touching the shared server other test files use. initdb refuses root, so every
 * command runs as the `postgres` user.
 */
export class ThrowawayPostgres {
	private constructor(
		readonly directory: string,
		readonly port: number,
	) {}

	static async create(): Promise<ThrowawayPostgres> {
		const directory = mkdtempSync(join(tmpdir(), 'otobot-pg-'));
		chownSync(directory, idOf('-u'), idOf('-g'));
		const cluster = new ThrowawayPostgres(directory, await freePort());
		await cluster.#asPostgres('initdb', [
			'-D',
			cluster.dataDir,
			'--auth=trust',
			'-U',
			'postgres',
			'-E',
			'UTF8',
		]);
		await cluster.start();
		return cluster;
	}

	get dataDir() {
		return join(this.directory, 'data');
	}

	get url() {
		return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
	}

	async start() {
		const options = `-p ${this.port} -k ${this.directory} -c listen_addresses=127.0.0.1 -c fsync=off`;
		await this.#asPostgres('pg_ctl', [
			'-D',
			this.dataDir,
			'-o',
			options,
			'-l',
			join(this.directory, 'log'),
			'-w',
			'start',
		]);
	}

	/** A fast shutdown: sessions are terminated, new connections refused. */
	async stop() {
		await this.#asPostgres('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
	}

	async destroy() {
		await this.#asPostgres('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(
			() => {},
		);
		rmSync(this.directory, { recursive: true, force: true });
	}

	async #asPostgres(command: string, args: string[]) {
		await run('runuser', ['-u', 'postgres', '--', `${BIN}/${command}`, ...args], {
			cwd: this.directory,
		});
	}
}

const idOf = (flag: '-u' | '-g') =>
	Number(execFileSync('id', [flag, 'postgres']).toString().trim());
