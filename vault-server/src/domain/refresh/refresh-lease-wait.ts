import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { ConnectionKey } from '../../storage/refresh-store.js';
import type { refreshLeaseStore } from '../../storage/refresh-lease.js';

/** Beyond the token endpoint's timeout: decrypting, storing, a busy event loop. */
const LEASE_MARGIN_MS = 5_000;
/** How often a refresh waiting on another process's lease reads the row again. */
const LEASE_POLL_MS = 100;

/**
 * How long a refresh lease lasts, in milliseconds: the token endpoint's timeout plus a margin, so
 * the lease of a holder that crashed mid-call expires soon after its call would have.
 */
export const leaseDurationMs = (timeoutMs: number) => timeoutMs + LEASE_MARGIN_MS;

/** A fresh owner name for one attempt: the lease it takes is released by it alone. */
export const leaseOwner = () => randomUUID();

/**
 * Waits (polling the row, one short statement each 100 ms) until the lease held on `key` by
 * another refresh ends or the row changes, at most `boundMs` milliseconds: then the caller judges
 * the row again. Polling rather than LISTEN: it holds no connection between two reads.
 */
export async function awaitLeaseEnd(
	leases: ReturnType<typeof refreshLeaseStore>,
	key: ConnectionKey,
	boundMs: number,
): Promise<void> {
	const giveUpAt = Date.now() + boundMs;
	while (Date.now() < giveUpAt && !(await leases.waitIsOver(key))) await delay(LEASE_POLL_MS);
}
