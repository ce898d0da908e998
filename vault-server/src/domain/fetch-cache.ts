import type { ConnectionRow } from '../storage/connections-store.js';

/** The channel migration 0007's triggers announce changes on. */
export const FETCH_CACHE_CHANNEL = 'otobot_fetch_cache';
/** A payload naming every connection (a client, a service or a whole table changed). */
const EVERYTHING = '*';

export const fetchCacheKey = (clientId: string, service: string) => `${clientId}/${service}`;

export interface FetchCacheOptions {
	/** How long a row may be served without being read again; 0 turns the cache off. */
	ttlMs: number;
	maxEntries: number;
}

/**
 * The row with each Buffer copied to memory of its own. The driver's Buffers are views into
 * shared 8 KiB slabs: one kept for minutes would keep its whole slab, and whatever else the slab
 * held, alive (up to 8 KiB per cached row for a 200-byte ciphertext).
 */
function withOwnBuffers(row: ConnectionRow): ConnectionRow {
	const copy: Record<string, unknown> = { ...row };
	for (const [name, value] of Object.entries(copy)) {
		if (Buffer.isBuffer(value)) copy[name] = Buffer.from(new Uint8Array(value).buffer);
	}
	return copy as unknown as ConnectionRow;
}

/**
 * The connection rows credential fetches read, kept between requests: ciphertexts and metadata,
 * never a decrypted secret. A row is served only while the database's change notifications are
 * being received (see 0007_fetch_cache_notify.sql), so a change made anywhere, by any process,
 * drops it within a notification's delay; the time-to-live bounds what a lost one could cost.
 *
 * A lookup that started before an invalidation may return the row as it was: the generation
 * taken when the lookup started says so, and such a row is used once but not kept.
 */
export class FetchCache {
	#rows = new Map<string, { row: ConnectionRow; until: number }>();
	#generation = 0;
	#listening = false;
	/** Lookups answered from memory, and those that had to read the database (metrics). */
	hits = 0;
	misses = 0;

	constructor(private readonly options: FetchCacheOptions) {}

	/** Taken before a lookup starts, handed back to `keep` with its result. */
	generation(): number {
		return this.#generation;
	}

	get(key: string, now = Date.now()): ConnectionRow | undefined {
		const entry = this.#rows.get(key);
		if (entry && entry.until > now) {
			this.hits += 1;
			return entry.row;
		}
		if (entry) this.#rows.delete(key);
		this.misses += 1;
		return undefined;
	}

	/** Keeps a row read by a lookup that started at `generation`, unless something changed since. */
	keep(key: string, row: ConnectionRow, generation: number, now = Date.now()): void {
		if (!this.#listening || this.options.ttlMs <= 0 || generation !== this.#generation) return;
		if (this.#rows.size >= this.options.maxEntries) {
			// Map iterates in insertion order: the oldest row goes first
			this.#rows.delete(this.#rows.keys().next().value!);
		}
		this.#rows.set(key, { row: withOwnBuffers(row), until: now + this.options.ttlMs });
	}

	/** One connection changed, or every one when no key is given. */
	invalidate(key?: string): void {
		this.#generation += 1;
		if (key === undefined || key === EVERYTHING) this.#rows.clear();
		else this.#rows.delete(key);
	}

	/** Whether change notifications are arriving; while they are not, nothing is kept or served. */
	setListening(up: boolean): void {
		this.#listening = up;
		this.invalidate();
	}

	get listening(): boolean {
		return this.#listening;
	}

	get size(): number {
		return this.#rows.size;
	}
}
