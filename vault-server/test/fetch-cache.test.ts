import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InjectOptions } from 'fastify';
import { backends } from './helpers/databases.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { asAdmin, asInternal, startTestVault, type TestVault } from './helpers/vault-app.js';
import { FETCH_CACHE_CHANNEL, FetchCache } from '../src/domain/fetch-cache.js';
import type { ConnectionRow } from '../src/storage/connections-store.js';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import type { Database } from '../src/storage/database.js';

const row = (label: string) => ({ client_id: label }) as unknown as ConnectionRow;

describe('FetchCache', () => {
	const listeningCache = (ttlMs = 60_000, maxEntries = 10) => {
		const cache = new FetchCache({ ttlMs, maxEntries });
		cache.setListening(true);
		return cache;
	};

	it('does not keep a row read by a lookup that started before a change, and keeps the next one', () => {
		const cache = listeningCache();
		const before = cache.generation();
		cache.invalidate('acme/google');
		cache.keep('acme/google', row('as it was'), before);
		expect(cache.get('acme/google')).toBeUndefined();
		cache.keep('acme/google', row('as it is'), cache.generation());
		expect(cache.get('acme/google')).toEqual(row('as it is'));
	});

	it('drops one connection, or everything on "*"', () => {
		const cache = listeningCache();
		cache.keep('acme/google', row('g'), cache.generation());
		cache.keep('acme/slack', row('s'), cache.generation());
		cache.invalidate('acme/google');
		expect(cache.get('acme/google')).toBeUndefined();
		expect(cache.get('acme/slack')).toEqual(row('s'));
		cache.invalidate('*');
		expect(cache.size).toBe(0);
	});

	it('serves a row for its time to live only', () => {
		const cache = listeningCache(1000);
		cache.keep('acme/google', row('g'), cache.generation(), 10_000);
		expect(cache.get('acme/google', 10_999)).toEqual(row('g'));
		expect(cache.get('acme/google', 11_000)).toBeUndefined();
	});

	it('keeps and serves nothing while notifications are not arriving, or with no time to live', () => {
		const deaf = new FetchCache({ ttlMs: 60_000, maxEntries: 10 });
		deaf.keep('acme/google', row('g'), deaf.generation());
		expect(deaf.size).toBe(0);

		const cache = listeningCache();
		cache.keep('acme/google', row('g'), cache.generation());
		cache.setListening(false);
		expect(cache.get('acme/google')).toBeUndefined();

		const off = new FetchCache({ ttlMs: 0, maxEntries: 10 });
		off.setListening(true);
		off.keep('acme/google', row('g'), off.generation());
		expect(off.size).toBe(0);
	});

	it("keeps a copy of the row's Buffers, not views into the driver's shared slabs", () => {
		const cache = listeningCache();
		const slab = Buffer.from('x'.repeat(64));
		const ciphertext = slab.subarray(8, 24);
		cache.keep(
			'acme/google',
			{ client_id: 'acme', credential_ciphertext: ciphertext } as unknown as ConnectionRow,
			cache.generation(),
		);
		const kept = cache.get('acme/google')!.credential_ciphertext;
		expect(Buffer.from(kept).equals(ciphertext)).toBe(true);
		expect(kept.buffer).not.toBe(slab.buffer);
		expect(kept.buffer.byteLength).toBe(16);
	});

	it('holds at most maxEntries rows, dropping the oldest', () => {
		const cache = listeningCache(60_000, 2);
		for (const name of ['a', 'b', 'c']) cache.keep(`acme/${name}`, row(name), cache.generation());
		expect(cache.size).toBe(2);
		expect(cache.get('acme/a')).toBeUndefined();
		expect(cache.get('acme/c')).toEqual(row('c'));
	});
});

describe.each(backends())('the fetch cache on %s', (backend) => {
	let vault: TestVault;
	/** Another process's connection to the same database (PGlite has only the one). */
	let other: Database;
	const inject = (options: InjectOptions) => vault.app.inject(options);
	const fetchKey = () => inject({ url: '/v1/credentials/acme/openai', headers: asInternal });
	const storeKey = (apiKey: string) =>
		inject({
			method: 'PUT',
			url: '/v1/clients/acme/connections/openai',
			headers: asAdmin,
			payload: { api_key: apiKey },
		});

	beforeAll(async () => {
		vault = await startTestVault(backend);
		other = vault.database.url
			? openPostgresDatabase({ url: vault.database.url, poolSize: 1 })
			: vault.database.db;
		await inject({
			method: 'POST',
			url: '/v1/clients',
			headers: asAdmin,
			payload: { id: 'acme', name: 'Acme' },
		});
		expect((await storeKey('sk-first')).statusCode).toBe(201);
		// a write commits as its answer leaves: its notification may come after the next fetch
		await vault.changesSeen();
	});
	afterAll(async () => {
		if (other !== vault?.database.db) await other?.close();
		await vault?.close();
	});

	it('serves a repeated fetch from memory', async () => {
		expect((await fetchKey()).json().api_key).toBe('sk-first');
		expect(vault.app.fetchCache.get('acme/openai')).toBeDefined();
		expect((await fetchKey()).json().api_key).toBe('sk-first');
	});

	it('counts its hits and misses in /metrics, and says it is listening', async () => {
		await fetchKey();
		const text = (await inject({ url: '/metrics', headers: asAdmin })).body;
		const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
		expect(value('otobot_vault_fetch_cache_lookups_total\\{result="hit"\\}')).toBeGreaterThan(0);
		expect(value('otobot_vault_fetch_cache_lookups_total\\{result="miss"\\}')).toBeGreaterThan(0);
		expect(value('otobot_vault_fetch_cache_rows')).toBeGreaterThan(0);
		expect(value('otobot_vault_fetch_cache_listening')).toBe(1);
	});

	it('serves a change made through this app at once', async () => {
		await fetchKey();
		expect((await storeKey('sk-second')).statusCode).toBe(200);
		expect((await fetchKey()).json().api_key).toBe('sk-second');
	});

	it('serves a change made by another process once its notification arrives', async () => {
		await fetchKey();
		await other.query(
			`UPDATE connections SET metadata = '{"plan": "pro"}' WHERE client_id = 'acme' AND service = 'openai'`,
		);
		await vi.waitFor(
			async () => expect((await fetchKey()).json().metadata).toEqual({ plan: 'pro' }),
			WAIT_BOUND,
		);
	});

	it('stops serving a connection another process marked for re-authorization, or deleted', async () => {
		await fetchKey();
		await other.query(
			`UPDATE connections SET status = 'needs_reauth' WHERE client_id = 'acme' AND service = 'openai'`,
		);
		await vi.waitFor(async () => expect((await fetchKey()).statusCode).toBe(409), WAIT_BOUND);

		await other.query(
			`UPDATE connections SET status = 'active' WHERE client_id = 'acme' AND service = 'openai'`,
		);
		await vi.waitFor(async () => expect((await fetchKey()).statusCode).toBe(200), WAIT_BOUND);
		await other.query(`DELETE FROM connections WHERE client_id = 'acme' AND service = 'openai'`);
		await vi.waitFor(async () => expect((await fetchKey()).statusCode).toBe(404), WAIT_BOUND);
		expect((await storeKey('sk-third')).statusCode).toBe(201);
	});

	it('forgets everything when a service changes', async () => {
		await vault.changesSeen(); // the last test's writes announced
		await fetchKey();
		expect(vault.app.fetchCache.size).toBeGreaterThan(0);
		await other.query(
			`UPDATE services SET display_name = 'OpenAI (renamed)' WHERE name = 'openai'`,
		);
		await vault.changesSeen();
		expect(vault.app.fetchCache.size).toBe(0);
	});

	it("is not disturbed by the audit log's last-use marks, which announce nothing", async () => {
		const heard: string[] = [];
		const stop = await vault.database.db.listen(FETCH_CACHE_CHANNEL, {
			notify: (payload) => heard.push(payload),
			listening: () => {},
		});
		try {
			// a connection not fetched before: the audit marks each one at most once a minute
			await inject({
				method: 'PUT',
				url: '/v1/clients/acme/connections/stripe',
				headers: asAdmin,
				payload: { api_key: 'sk-stripe' },
			});
			// the write's announcement, heard by the app's listener and by this one, before the fetch
			await vault.changesSeen();
			await vi.waitFor(() => expect(heard).toContain('acme/stripe'), WAIT_BOUND);
			heard.length = 0;
			expect(
				(await inject({ url: '/v1/credentials/acme/stripe', headers: asInternal })).statusCode,
			).toBe(200);
			const [marked] = await other.query<{ last_used_at: Date | null }>(
				`SELECT last_used_at FROM connections WHERE client_id = 'acme' AND service = 'stripe'`,
			);
			expect(marked!.last_used_at).not.toBeNull();
			await vault.changesSeen();
			expect(heard.filter((payload) => !payload.startsWith('test-sync-'))).toEqual([]);
			expect(vault.app.fetchCache.get('acme/stripe')).toBeDefined();
		} finally {
			await stop();
		}
	});
});

describe.runIf(backends().includes('postgres'))(
	'the fetch cache when its notifications stop',
	() => {
		let vault: TestVault;
		beforeAll(async () => {
			vault = await startTestVault('postgres');
			await vault.app.inject({
				method: 'POST',
				url: '/v1/clients',
				headers: asAdmin,
				payload: { id: 'acme', name: 'Acme' },
			});
			await vault.app.inject({
				method: 'PUT',
				url: '/v1/clients/acme/connections/openai',
				headers: asAdmin,
				payload: { api_key: 'sk-1' },
			});
			await vault.changesSeen();
		});
		afterAll(async () => vault?.close());

		it('serves nothing from memory until it listens again, then caches again', async () => {
			const cache = vault.app.fetchCache;
			await vault.app.inject({ url: '/v1/credentials/acme/openai', headers: asInternal });
			expect(cache.size).toBe(1);
			const [killed] = await vault.database.db.query<{ n: number }>(
				`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
			 WHERE datname = current_database() AND query ILIKE 'LISTEN%'`,
			);
			expect(killed!.n).toBe(1);
			await vi.waitFor(() => expect(cache.size).toBe(0), WAIT_BOUND);
			await vi.waitFor(() => expect(cache.listening).toBe(true), WAIT_BOUND);
			expect(vault.logs.text()).toContain('fetch cache off until change notifications resume');
			expect(
				(await vault.app.inject({ url: '/v1/credentials/acme/openai', headers: asInternal }))
					.statusCode,
			).toBe(200);
			expect(cache.size).toBe(1);
		});

		it('is off with FETCH_CACHE_SECONDS=0', async () => {
			const uncached = await startTestVault('postgres', { FETCH_CACHE_SECONDS: '0' });
			try {
				await uncached.app.inject({
					method: 'POST',
					url: '/v1/clients',
					headers: asAdmin,
					payload: { id: 'acme', name: 'Acme' },
				});
				await uncached.app.inject({
					method: 'PUT',
					url: '/v1/clients/acme/connections/openai',
					headers: asAdmin,
					payload: { api_key: 'sk-1' },
				});
				expect(
					(await uncached.app.inject({ url: '/v1/credentials/acme/openai', headers: asInternal }))
						.statusCode,
				).toBe(200);
				expect(uncached.app.fetchCache.size).toBe(0);
			} finally {
				await uncached.close();
			}
		});
	},
);
