import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { stopChild } from './cli.js';
import { freePort } from './throwaway-postgres.js';

/** Why a Redis of our own cannot run here (undefined when it can): it needs `redis-server`. */
export function throwawayRedisMissing(): string | undefined {
	const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
	return found.status === 0 ? undefined : 'no redis-server on PATH (Debian: redis-server)';
}

/**
 * A Redis server of a test's own, on a free port, with a password, nothing saved to disk: the
 * test may kill it and start it again on the same port without touching the machine's Redis.
 */
export class ThrowawayRedis {
	#child: ChildProcess | undefined;
	readonly password = `redis-pw-${randomBytes(12).toString('hex')}`;

	private constructor(readonly port: number) {}

	static async start(): Promise<ThrowawayRedis> {
		const redis = new ThrowawayRedis(await freePort());
		await redis.restart();
		return redis;
	}

	/** REDIS_URL for it, password included. */
	get url(): string {
		return `redis://:${this.password}@127.0.0.1:${this.port}`;
	}

	/** Starts it (again) on its port; resolves once it accepts connections. */
	restart(): Promise<void> {
		const child = spawn(
			'redis-server',
			[
				'--port',
				String(this.port),
				'--bind',
				'127.0.0.1',
				'--save',
				'',
				'--appendonly',
				'no',
				'--requirepass',
				this.password,
			],
			{ stdio: ['ignore', 'pipe', 'pipe'] },
		);
		this.#child = child;
		let output = '';
		return new Promise((resolve, reject) => {
			child.stdout.on('data', (chunk: Buffer) => {
				output += chunk.toString();
				if (output.includes('Ready to accept connections')) resolve();
			});
			child.once('exit', (code) =>
				reject(new Error(`redis-server exited with ${code}: ${output}`)),
			);
		});
	}

	/** SIGSTOP: the socket stays open, nothing answers (a hung server or a lost network). */
	pause(): void {
		this.#child?.kill('SIGSTOP');
	}

	resume(): void {
		this.#child?.kill('SIGCONT');
	}

	/** SIGKILL, as a crash would; resolves once it has exited and the port is free. */
	async stop(): Promise<void> {
		if (this.#child) await stopChild(this.#child);
		this.#child = undefined;
	}
}
