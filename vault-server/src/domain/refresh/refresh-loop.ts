import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../storage/database.js';
import { refreshStore } from '../../storage/refresh-store.js';
import type { ConnectionRefresher } from './connection-refresher.js';
import { startPeriodicTask } from '../../periodic-task.js';

export interface RefreshLoopOptions {
	intervalMs: number;
	batchSize: number;
	concurrency: number;
}

export const DEFAULT_LOOP: RefreshLoopOptions = {
	intervalMs: 30_000,
	batchSize: 200,
	concurrency: 4,
};

/** Runs `work` over `items` with at most `limit` at a time. */
async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
	let next = 0;
	const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
		while (next < items.length) await work(items[next++]!);
	});
	await Promise.all(lanes);
}

/**
 * One pass: the connections due now (an indexed query, so its cost follows what is due, not what
 * is stored), refreshed with bounded concurrency. Returns how many were due.
 */
export async function refreshDueConnections(
	db: Database,
	refresher: ConnectionRefresher,
	options: RefreshLoopOptions,
	log: FastifyBaseLogger,
) {
	const due = await refreshStore(db).listDue(options.batchSize);
	await forEachLimited(due, options.concurrency, async ({ client_id: clientId, service }) => {
		try {
			await refresher.refresh(clientId, service, 'background');
		} catch (error) {
			log.error({ err: error, clientId, service }, 'background refresh failed');
		}
	});
	return due.length;
}

/** The background refresher: a pass now, again at once while batches come back full, else after the interval. */
export function startRefreshLoop(
	db: Database,
	refresher: ConnectionRefresher,
	log: FastifyBaseLogger,
	options = DEFAULT_LOOP,
) {
	return startPeriodicTask(async () => {
		let due = 0;
		try {
			due = await refreshDueConnections(db, refresher, options, log);
		} catch (error) {
			log.error({ err: error }, 'refresh pass failed');
		}
		return due >= options.batchSize ? 0 : options.intervalMs;
	});
}
