import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresDatabase, hasTestPostgres } from './helpers/databases.js';
import { startServe, type ServeProcess } from './helpers/cli.js';
import { runsHere } from './helpers/skips.js';
import { ThrowawayRedis, throwawayRedisMissing } from './helpers/throwaway-redis.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { ADMIN_TOKEN, INTERNAL_TOKEN, TEST_MASTER_KEY } from './helpers/vault-app.js';

const LIMIT = 100;
const AUTH_FAILURES = 10;
const LIST = '/v1/clients/acme/connections';

const get = async (base: string, path: string, token?: string) => {
	const response = await fetch(`${base}${path}`, {
		headers: token ? { authorization: `Bearer ${token}` } : {},
	});
	return { status: response.status, text: await response.text() };
};

/** `count` GETs of `path`, alternating between the vaults, ten at a time; their statuses. */
async function spread(vaults: ServeProcess[], count: number, path: string, token: string) {
	const statuses: number[] = [];
	for (let start = 0; start < count; start += 10) {
		const batch = Array.from({ length: Math.min(10, count - start) }, (_, offset) =>
			get(vaults[(start + offset) % vaults.length]!.url, path, token),
		);
		statuses.push(...(await Promise.all(batch)).map((answer) => answer.status));
	}
	return statuses;
}

const tally = (statuses: number[]) =>
	statuses.reduce<Record<number, number>>((counts, status) => {
		counts[status] = (counts[status] ?? 0) + 1;
		return counts;
	}, {});

const limitsOf = async (vault: ServeProcess) =>
	(JSON.parse((await get(vault.url, '/health')).text) as { limits?: string }).limits;

/** Two real vault processes on one PostgreSQL database, counting their limits in one Redis. */
describe.runIf(
	hasTestPostgres() && runsHere('the shared limits (Redis) runs', throwawayRedisMissing()),
)('limits shared across vault processes through Redis', () => {
	let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
	let redis: ThrowawayRedis;
	const vaults: ServeProcess[] = [];
	let env: Record<string, string>;
	const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

	beforeAll(async () => {
		database = await createPostgresDatabase();
		redis = await ThrowawayRedis.start();
		env = {
			DATABASE_URL: database.url,
			ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY,
			ADMIN_API_TOKEN: ADMIN_TOKEN,
			INTERNAL_API_TOKEN: INTERNAL_TOKEN,
			VAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'otobot-redis-')),
			PORT: '0',
			REFRESHER_ENABLED: 'false',
			RATE_LIMIT_MAX: String(LIMIT),
			RATE_LIMIT_WINDOW: '30 minutes',
			AUTH_FAILURE_LIMIT: String(AUTH_FAILURES),
			REDIS_URL: redis.url,
			REDIS_KEY_PREFIX: `otobot-test-${process.pid}:`,
		};
		vaults.push(...(await Promise.all([startServe(env), startServe(env)])));
		const created = await fetch(`${vaults[0]!.url}/v1/clients`, {
			method: 'POST',
			headers: asAdmin,
			body: JSON.stringify({ id: 'acme', name: 'Acme' }),
		});
		expect(created.status).toBe(201);
	});

	afterAll(async () => {
		await Promise.all(vaults.map((vault) => vault.stop()));
		await redis?.stop();
		await database?.drop();
	});

	it('150 requests with one token over two processes: 100 answered, 50 × 429', async () => {
		const statuses = await spread(vaults, 150, LIST, INTERNAL_TOKEN);
		expect(tally(statuses)).toEqual({ 200: 100, 429: 50 });
	});

	it("a batch's per-pair charge spends the shared budget: 40 pairs on one, then the other", async () => {
		const created = await fetch(`${vaults[0]!.url}/v1/tokens`, {
			method: 'POST',
			headers: asAdmin,
			body: JSON.stringify({ name: 'batch over two', scope: 'read' }),
		});
		const { token } = (await created.json()) as { token: string };
		const pairs = Array.from({ length: 40 }, () => ({ client_id: 'acme', service: 'crm' }));
		const batch = await fetch(`${vaults[0]!.url}/v1/credentials/batch`, {
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: JSON.stringify({ pairs }),
		});
		expect(batch.status).toBe(200);
		const statuses = await spread([vaults[1]!], LIMIT, LIST, token);
		expect(tally(statuses)).toEqual({ 200: LIMIT - pairs.length, 429: pairs.length });
	});

	it('a rediss:// URL Redis does not answer over TLS: served per process, its password never shown', async () => {
		const tls = await startServe({
			...env,
			REDIS_URL: `rediss://:${redis.password}@127.0.0.1:${redis.port}/0`,
		});
		try {
			expect(await limitsOf(tls)).toBe('per_process');
			expect((await get(tls.url, LIST, INTERNAL_TOKEN)).status).toBe(200);
			expect(tls.output()).toContain('Redis does not answer');
			expect(tls.output()).not.toContain(redis.password);
		} finally {
			await tls.stop();
		}
	});

	it('wrong tokens over two processes are blocked after AUTH_FAILURE_LIMIT in total', async () => {
		const statuses: number[] = [];
		// one at a time: the guard reads, then counts, so the total is exact only in sequence
		for (let attempt = 0; attempt < 2 * AUTH_FAILURES; attempt++) {
			const answer = await get(vaults[attempt % 2]!.url, LIST, `wrong-token-${attempt}-xxxxxxxx`);
			statuses.push(answer.status);
		}
		expect(statuses).toEqual([
			...Array<number>(AUTH_FAILURES).fill(401),
			...Array<number>(AUTH_FAILURES).fill(429),
		]);
	});

	it('Redis hung (SIGSTOP): no 5xx, per process; resumed: shared again', async () => {
		redis.pause();
		try {
			const during = await spread(vaults, 20, LIST, INTERNAL_TOKEN);
			expect(during.filter((status) => status >= 500)).toEqual([]);
			for (const vault of vaults) expect(await limitsOf(vault)).toBe('per_process');
		} finally {
			redis.resume();
		}
		for (const vault of vaults) {
			await vi.waitFor(async () => expect(await limitsOf(vault)).toBe('shared'), WAIT_BOUND);
		}
	});

	it('Redis killed: no 5xx, per process in /health and /metrics; restarted: shared again', async () => {
		expect(await Promise.all(vaults.map(limitsOf))).toEqual(['shared', 'shared']);
		await redis.stop();

		const during = await spread(vaults, 40, LIST, INTERNAL_TOKEN);
		expect(during.filter((status) => status >= 500)).toEqual([]);
		for (const vault of vaults) {
			await vi.waitFor(async () => expect(await limitsOf(vault)).toBe('per_process'), WAIT_BOUND);
			const health = await get(vault.url, '/health');
			expect(health.status).toBe(200);
			const metrics = await get(vault.url, '/metrics', ADMIN_TOKEN);
			expect(metrics.text).toMatch(/^otobot_vault_shared_limits_up 0$/m);
		}

		await redis.restart();
		for (const vault of vaults) {
			await vi.waitFor(async () => expect(await limitsOf(vault)).toBe('shared'), WAIT_BOUND);
			const metrics = await get(vault.url, '/metrics', ADMIN_TOKEN);
			expect(metrics.text).toMatch(/^otobot_vault_shared_limits_up 1$/m);
		}
		// the restarted Redis is empty: a token's budget counts from 0 again, once for both
		const fresh = await spread(vaults, 150, LIST, ADMIN_TOKEN);
		expect(tally(fresh)).toEqual({ 200: 100 - 2, 429: 52 });

		for (const vault of vaults) {
			const output = vault.output();
			expect(output).not.toContain(redis.password);
			// once per change: start, hung, resumed, killed, restarted
			expect(output.match(/Redis does not answer/g)).toHaveLength(2);
			expect(output.match(/Redis answers: limits are shared/g)).toHaveLength(3);
		}
	});
});
