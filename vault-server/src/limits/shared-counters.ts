import type { Redis } from 'ioredis';
import { REDIS_CONNECT_TIMEOUT_MS } from './redis-connection.js';
import { WindowCounters, type WindowCount } from './window-counters.js';

/** `shared`: counted in Redis for every process; `per_process`: in this process's memory. */
export type LimitsMode = 'shared' | 'per_process';

/** The log lines a mode change writes; a pino or Fastify logger fits. */
export interface LimitsLog {
	info(details: object, message: string): void;
	warn(details: object, message: string): void;
}

// INCRBY and the window's expiry in one step, as @fastify/rate-limit's Redis store does for one unit
const ADD = `
local current = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	ttl = tonumber(ARGV[2])
end
return {current, ttl}`;

const READ = `
local current = redis.call('GET', KEYS[1])
if not current then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {tonumber(current), ttl}`;

/** A socket error's code (ECONNREFUSED), or a Redis reply's first word (WRONGPASS, NOAUTH). */
function errorCode(error: unknown): string {
	const { code, name, message } = (error ?? {}) as {
		code?: string;
		name?: string;
		message?: string;
	};
	if (code) return code;
	if (name === 'ReplyError') return /^[A-Z]+/.exec(message ?? '')?.[0] ?? name;
	return name ?? 'unknown';
}

/**
 * Fixed-window counters for the rate limit and the failed-authentication guard. With Redis (one
 * key per counter under `prefix`), every process counts on the same keys, so N processes together
 * allow what one would. While Redis does not answer, each process counts in its own memory:
 * availability before limits. Each change of mode is logged once, never per request; the log
 * names the error's code only, never the URL or its password.
 */
export class SharedCounters {
	readonly #local = new WindowCounters();
	#up: boolean | undefined;
	#lastError = 'unknown';
	readonly #settled: Promise<void>;

	constructor(
		private readonly redis: Redis | undefined,
		private readonly prefix: string,
		private readonly log: LimitsLog,
	) {
		if (!redis) {
			this.#settled = Promise.resolve();
			return;
		}
		this.#settled = new Promise((resolve) => {
			redis.once('ready', resolve);
			redis.once('close', resolve);
			// a server that takes the connection but never answers: start per process meanwhile
			setTimeout(resolve, 2 * REDIS_CONNECT_TIMEOUT_MS).unref();
		});
		redis.on('ready', () => this.#setUp(true));
		redis.on('close', () => this.#setUp(false));
		// an error is followed by 'close' (or a failed command): remembered for that log line
		redis.on('error', (error: unknown) => (this.#lastError = errorCode(error)));
	}

	get mode(): LimitsMode {
		return this.#up ? 'shared' : 'per_process';
	}

	/**
	 * Resolves once the first connection attempt succeeded or failed, at most 2 s after the start
	 * (at once without Redis).
	 */
	settled(): Promise<void> {
		return this.#settled;
	}

	/** Adds `units` to `key`'s window of `windowMs` (opened by its first unit); the new count. */
	async add(key: string, units: number, windowMs: number): Promise<WindowCount> {
		const shared = await this.#run(ADD, key, units, windowMs);
		return shared ?? this.#local.add(key, units, windowMs);
	}

	/** `key`'s count in its live window, without adding to it. */
	async read(key: string): Promise<WindowCount> {
		const shared = await this.#run(READ, key);
		return shared ?? this.#local.read(key);
	}

	async close(): Promise<void> {
		this.redis?.disconnect(false);
	}

	/** The script's answer, or undefined when Redis is down or did not answer. */
	async #run(script: string, key: string, ...args: number[]): Promise<WindowCount | undefined> {
		const redis = this.redis;
		if (!redis || redis.status !== 'ready') return undefined;
		try {
			const [current, ttlMs] = (await redis.eval(script, 1, this.prefix + key, ...args)) as [
				number,
				number,
			];
			return { current, ttlMs };
		} catch (error) {
			this.#lastError = errorCode(error);
			this.#setUp(false);
			// a Redis that stopped answering on an open socket: reconnect, 'ready' brings it back
			if (redis.status === 'ready') redis.disconnect(true);
			return undefined;
		}
	}

	#setUp(up: boolean): void {
		if (this.#up === up) return;
		this.#up = up;
		if (up)
			this.log.info({ limits: 'shared' }, 'Redis answers: limits are shared by every process');
		else
			this.log.warn(
				{ limits: 'per_process', error: this.#lastError },
				'Redis does not answer: each process limits on its own until it does',
			);
	}
}
