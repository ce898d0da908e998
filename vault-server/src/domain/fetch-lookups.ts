import type { Queryable } from '../storage/database.js';
import { connectionsStore, type FetchLookup } from '../storage/connections-store.js';
import { MicroBatcher } from '../micro-batcher.js';

const MAX_BATCH = 200;
// the audit writer holds up to two pool connections; lookups take up to four more
const MAX_IN_FLIGHT = 4;

/**
 * The credential-fetch lookups of concurrent requests, answered by one query per batch: under
 * load, a fetch costs a share of a round trip instead of one.
 */
export class FetchLookups {
	#batcher: MicroBatcher<{ clientId: string; service: string }, FetchLookup>;

	constructor(db: Queryable) {
		this.#batcher = new MicroBatcher((pairs) => connectionsStore(db).findManyForFetch(pairs), {
			maxBatch: MAX_BATCH,
			maxInFlight: MAX_IN_FLIGHT,
		});
	}

	find(clientId: string, service: string): Promise<FetchLookup> {
		return this.#batcher.add({ clientId, service });
	}
}
