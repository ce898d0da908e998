import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The server's binaries (initdb, pg_ctl) as `pg_config --bindir` names them; undefined without pg_config. */
function serverBinaries(): string | undefined {
	try {
		return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
	} catch {
		return undefined;
	}
}

const BIN = serverBinaries();

/**
 * Why a cluster of our own cannot be made here (undefined when it can): it needs the PostgreSQL
 * server's binaries (found with `pg_config --bindir`) and root, to run them as `postgres`.
 */
export function throwawayPostgresMissing(): string | undefined {
	if (!BIN) return 'pg_config is not on PATH (the PostgreSQL server binaries)';
	if (!existsSync(join(BIN, 'pg_ctl')) || !existsSync(join(BIN, 'initdb')))
		return `no initdb and pg_ctl in ${BIN} (pg_config --bindir)`;
	if (process.getuid?.() !== 0) return 'not root (initdb refuses root, so it runs as postgres)';
	if (spawnSync('id', ['-u', 'postgres'], { stdio: 'ignore' }).status !== 0)
		return 'no postgres user to run the server as';
	return undefined;
}

/** Why a streaming standby cannot be made here (undefined when it can): also needs pg_basebackup. */
export function throwawayStandbyMissing(): string | undefined {
	const missing = throwawayPostgresMissing();
	if (missing) return missing;
	if (!existsSync(join(BIN!, 'pg_basebackup')))
		return `no pg_basebackup in ${BIN} (pg_config --bindir)`;
	return undefined;
}

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
 * A PostgreSQL cluster of a test's own, in a temporary folder, so the test can stop and start it
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

	/**
	 * A streaming standby of `primary` in a folder of its own on a free port (`pg_basebackup -R`,
	 * the WAL streamed during the copy), started; its walsender is named `name`, for
	 * `synchronous_standby_names`.
	 */
	static async standbyOf(primary: ThrowawayPostgres, name: string): Promise<ThrowawayPostgres> {
		const directory = mkdtempSync(join(tmpdir(), 'otobot-pg-standby-'));
		chownSync(directory, idOf('-u'), idOf('-g'));
		const standby = new ThrowawayPostgres(directory, await freePort());
		await standby.#asPostgres('pg_basebackup', [
			'-d',
			`host=127.0.0.1 port=${primary.port} user=postgres application_name=${name}`,
			'-D',
			standby.dataDir,
			'-R',
			'-X',
			'stream',
			'-c',
			'fast',
		]);
		await standby.start();
		return standby;
	}

	/** Stops the server as a crash would (`pg_ctl stop -m immediate`): no checkpoint, sessions cut. */
	async crash() {
		await this.#asPostgres('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
	}

	/** Ends recovery on a standby (`pg_ctl promote`), resolved once it accepts writes. */
	async promote() {
		await this.#asPostgres('pg_ctl', ['-D', this.dataDir, '-w', 'promote']);
	}

	async destroy() {
		await this.#asPostgres('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(
			() => {},
		);
		rmSync(this.directory, { recursive: true, force: true });
	}

	async #asPostgres(command: string, args: string[]) {
		await run('runuser', ['-u', 'postgres', '--', join(BIN!, command), ...args], {
			cwd: this.directory,
		});
	}
}

const idOf = (flag: '-u' | '-g') =>
	Number(execFileSync('id', [flag, 'postgres']).toString().trim());
