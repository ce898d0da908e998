import { Counter, Gauge, type Registry } from 'prom-client';
import type { FetchCache } from '../fetch-cache.js';

/** The fetch cache's figures, read from it at scrape time: nothing on the fetch path. */
export function registerFetchCacheMetrics(registry: Registry, cache: FetchCache): void {
	const registers = [registry];
	new Counter({
		name: 'otobot_vault_fetch_cache_lookups_total',
		help: 'Credential-fetch lookups by result: hit (answered from memory) or miss (read from the database)',
		labelNames: ['result'] as const,
		registers,
		collect() {
			this.reset();
			this.inc({ result: 'hit' }, cache.hits);
			this.inc({ result: 'miss' }, cache.misses);
		},
	});
	new Gauge({
		name: 'otobot_vault_fetch_cache_rows',
		help: 'Connection rows held by the fetch cache',
		registers,
		collect() {
			this.set(cache.size);
		},
	});
	new Gauge({
		name: 'otobot_vault_fetch_cache_listening',
		help: '1 while change notifications arrive and the fetch cache serves, 0 while it is off',
		registers,
		collect() {
			this.set(cache.listening ? 1 : 0);
		},
	});
}
