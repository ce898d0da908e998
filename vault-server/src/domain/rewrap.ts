import { setTimeout as sleep } from 'node:timers/promises';
import { keyVersionOf } from '../crypto/envelope.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Database } from '../storage/database.js';
import { ciphertextStore, type RowKey, type StaleRow } from '../storage/ciphertext-store.js';
import { CIPHERTEXT_LOCATIONS, type CiphertextLocation } from './ciphertext-locations.js';

export interface BatchResult {
	/** Stale rows the batch looked at; fewer than the limit means the location's end. */
	seen: number;
	rewrapped: number;
	ciphertexts: number;
	/** Rows held by a refresh, or changed by a write since they were read: left for the next pass. */
	busy: number;
	/** Rows whose ciphertexts no loaded key opens (retired or unknown version). */
	failed: RowKey[];
	last: string[] | undefined;
}

type Opened = { next: (Uint8Array | null)[]; count: number } | 'failed';

async function reseal(keyring: Keyring, place: CiphertextLocation, row: StaleRow): Promise<Opened> {
	const next: (Uint8Array | null)[] = [];
	let count = 0;
	for (const [index, ciphertext] of row.ciphertexts.entries()) {
		if (ciphertext === null) {
			next.push(null);
			continue;
		}
		// inside the batch's transaction: never reload keys here (on PGlite it would wait on itself)
		const version = keyVersionOf(ciphertext);
		if (version === undefined || !keyring.hasVersion(version)) return 'failed';
		const context = place.context(row.key, index);
		try {
			next.push(keyring.encrypt(await keyring.decrypt(ciphertext, context), context).ciphertext);
		} catch {
			return 'failed';
		}
		count += 1;
	}
	return { next, count };
}

/**
 * Re-encrypts up to `limit` stale rows of one location under the keyring's active version, in
 * one transaction: rows are locked (skipping those another transaction holds), re-checked, and
 * written only if their ciphertexts are still the ones read, so a concurrent write or refresh is
 * never overwritten. A crash rolls the batch back; what is left is what is still stale.
 */
export async function rewrapBatch(
	db: Database,
	keyring: Keyring,
	place: CiphertextLocation,
	after: string[] | undefined,
	limit: number,
): Promise<BatchResult> {
	const target = keyring.activeVersion;
	return db.transaction(async (tx) => {
		const store = ciphertextStore(tx, place);
		const rows = await store.lockStaleBatch(target, after, limit);
		const result: BatchResult = {
			seen: rows.length,
			rewrapped: 0,
			ciphertexts: 0,
			busy: 0,
			failed: [],
			last: undefined,
		};
		for (const row of rows) {
			result.last = place.keyColumns.map((column) => row.key[column]!);
			if (place.tryLock && !(await place.tryLock(db, tx, row.key))) {
				result.busy += 1;
				continue;
			}
			const opened = await reseal(keyring, place, row);
			if (opened === 'failed') {
				result.failed.push(row.key);
			} else if (await store.replaceIfUnchanged(row, opened.next, target)) {
				result.rewrapped += 1;
				result.ciphertexts += opened.count;
			} else {
				result.busy += 1;
			}
		}
		return result;
	});
}

export interface RewrapTotals {
	target: number;
	/** Stale rows when the rewrap started. */
	total: number;
	rewrapped: number;
	ciphertexts: number;
	failed: { location: string; key: RowKey }[];
	/** Stale rows left at the end (busy ones the passes did not get to, and failed ones). */
	remaining: number;
	interrupted: boolean;
}

export interface RewrapOptions {
	batchSize: number;
	/** Pause between batches, to spare a busy database. */
	pauseMs?: number;
	/** Passes over busy rows before giving up (they are left for the next run). */
	maxPasses?: number;
	retryMs?: number;
	signal?: AbortSignal;
	onProgress?: (totals: RewrapTotals) => void;
	locations?: readonly CiphertextLocation[];
}

const countStale = async (
	db: Database,
	locations: readonly CiphertextLocation[],
	target: number,
) => {
	let total = 0;
	for (const place of locations) total += await ciphertextStore(db, place).countStaleRows(target);
	return total;
};

/**
 * Moves every ciphertext under an older key version to the active one, batch by batch, while the
 * vault keeps serving. Resumable: a run stopped at any point leaves only whole batches done.
 */
export async function rewrapAll(
	db: Database,
	keyring: Keyring,
	options: RewrapOptions,
): Promise<RewrapTotals> {
	const locations = options.locations ?? CIPHERTEXT_LOCATIONS;
	await keyring.reload();
	const target = keyring.activeVersion;
	const totals: RewrapTotals = {
		target,
		total: 0,
		rewrapped: 0,
		ciphertexts: 0,
		failed: [],
		remaining: 0,
		interrupted: false,
	};
	totals.total = await countStale(db, locations, target);
	options.onProgress?.(totals);
	const maxPasses = options.maxPasses ?? 20;
	for (let pass = 1; ; pass += 1) {
		totals.failed = [];
		for (const place of locations) {
			let after: string[] | undefined;
			for (;;) {
				if (options.signal?.aborted) break;
				const batch = await rewrapBatch(db, keyring, place, after, options.batchSize);
				totals.rewrapped += batch.rewrapped;
				totals.ciphertexts += batch.ciphertexts;
				totals.failed.push(...batch.failed.map((key) => ({ location: place.name, key })));
				options.onProgress?.(totals);
				if (batch.seen < options.batchSize) break;
				after = batch.last;
				if (options.pauseMs) await sleep(options.pauseMs);
			}
		}
		totals.remaining = await countStale(db, locations, target);
		totals.interrupted = options.signal?.aborted ?? false;
		const busyLeft = totals.remaining - totals.failed.length;
		if (totals.interrupted || busyLeft <= 0 || pass >= maxPasses) return totals;
		await sleep(options.retryMs ?? 500);
	}
}
