import { describe, expect, it, vi } from 'vitest';
import type { InjectOptions } from 'fastify';
import { AuditWriter } from '../src/domain/audit-writer.js';
import { AuthRefusals } from '../src/domain/auth-refusals.js';
import { verifyAuditChain } from '../src/domain/audit-chain-verify.js';
import { loadAuditChainKeys } from '../src/domain/audit-chain-keys.js';
import type { Queryable } from '../src/storage/database.js';
import type { Database } from '../src/storage/database.js';
import { backends } from './helpers/databases.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { asAdmin, bearer, startTestVault, TEST_MASTER_KEY } from './helpers/vault-app.js';

/** The chain verified with the keys the test master key opens. */
const verifyChain = async (db: Queryable) =>
	verifyAuditChain(db, await loadAuditChainKeys(db, Buffer.from(TEST_MASTER_KEY, 'hex')));

const AUTH_FAILURE_LIMIT = 20;
const RATE_LIMIT_MAX = 5;
const CHUNK = 500;

interface RefusalRow {
	id: number;
	ip: string;
	action: string;
	details: {
		count: number;
		first_at: string;
		last_at: string;
		reasons: Record<string, number>;
	};
}

const rowsAfter = (db: Database, id: number) =>
	db.query<RefusalRow>('SELECT * FROM audit_log WHERE id > $1 ORDER BY id', [id]);
const lastId = async (db: Database) =>
	(await db.query<{ id: number }>('SELECT coalesce(max(id), 0)::int AS id FROM audit_log'))[0]!.id;

/** The refusal counts of the `auth.refusals` rows, summed per address and reason. */
function countsByAddress(rows: RefusalRow[]) {
	const sums: Record<string, Record<string, number>> = {};
	for (const { ip, details } of rows.filter((row) => row.action === 'auth.refusals')) {
		const sum = (sums[ip] ??= { count: 0 });
		sum.count! += details.count;
		for (const [reason, n] of Object.entries(details.reasons)) sum[reason] = (sum[reason] ?? 0) + n;
	}
	return sums;
}

/**
 * Issue 13 item 2: refusals before authentication are counted, and written as one aggregated
 * `auth.refusals` row per source address per minute, never one row each.
 */
describe.each(backends())('refusals before authentication on %s', (backend) => {
	it('10,000 anonymous refusals from three addresses add a handful of rows, written on close', async () => {
		const vault = await startTestVault(backend, {
			AUTH_FAILURE_LIMIT: String(AUTH_FAILURE_LIMIT),
			RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
		});
		const { db } = vault.database;
		let closed = false;
		try {
			const client = await vault.app.inject({
				method: 'POST',
				url: '/v1/clients',
				headers: asAdmin,
				payload: { id: 'acme', name: 'Acme' },
			});
			expect(client.statusCode).toBe(201);
			const since = await lastId(db);
			const noToken = { url: '/v1/clients/acme', remoteAddress: '198.51.100.1' };
			const wrongToken = {
				url: '/v1/credentials/acme/keys',
				headers: bearer('wrong-token-7c1d'),
				remoteAddress: '198.51.100.2',
			};
			// no bearer token on these pages: the rate limit of anonymous callers refuses them
			const connectPage = { url: `/connect/${'x'.repeat(24)}`, remoteAddress: '198.51.100.3' };
			// [request, how many, how many at once]: the link pages' first answers one by one, since
			// the rate limiter counts concurrent requests before it checks any of them
			const sent: [InjectOptions, number, number][] = [
				[noToken, 5000, CHUNK],
				[wrongToken, 4000, CHUNK],
				[connectPage, RATE_LIMIT_MAX, 1],
				[connectPage, 1000, CHUNK],
			];
			const statuses: Record<string, Record<number, number>> = {};
			for (const [request, times, atOnce] of sent) {
				const counts = (statuses[request.remoteAddress!] ??= {});
				for (let done = 0; done < times; done += atOnce) {
					const answers = await Promise.all(
						Array.from({ length: Math.min(atOnce, times - done) }, () => vault.app.inject(request)),
					);
					for (const { statusCode } of answers) counts[statusCode] = (counts[statusCode] ?? 0) + 1;
				}
			}
			// each failure is counted before it is answered: concurrent ones too get exactly the limit
			const missing = statuses['198.51.100.1']!;
			const wrong = statuses['198.51.100.2']!;
			expect(missing[401]).toBe(AUTH_FAILURE_LIMIT);
			expect(wrong[401]).toBe(AUTH_FAILURE_LIMIT);
			expect(statuses).toEqual({
				'198.51.100.1': { 401: missing[401], 429: 5000 - missing[401]! },
				'198.51.100.2': { 401: wrong[401], 429: 4000 - wrong[401]! },
				'198.51.100.3': { 404: RATE_LIMIT_MAX, 429: 1000 },
			});
			// graceful shutdown writes the pending aggregates
			closed = true;
			await vault.app.close();
			const rows = await rowsAfter(db, since);
			// the link pages that were answered keep one row each; a minute boundary during the run
			// can split an address's refusals into two rows
			expect(rows.filter((row) => row.action !== 'auth.refusals')).toHaveLength(RATE_LIMIT_MAX);
			expect(rows.length).toBeLessThanOrEqual(RATE_LIMIT_MAX + 2 * 3);
			expect(countsByAddress(rows)).toEqual({
				'198.51.100.1': {
					count: 5000,
					no_token: missing[401],
					auth_blocked: missing[429],
				},
				'198.51.100.2': { count: 4000, invalid_token: wrong[401], auth_blocked: wrong[429] },
				'198.51.100.3': { count: 1000, rate_limited: 1000 },
			});
			for (const { details } of rows.filter((row) => row.action === 'auth.refusals'))
				expect(Date.parse(details.first_at)).toBeLessThanOrEqual(Date.parse(details.last_at));
			expect(JSON.stringify(rows)).not.toContain('wrong-token-7c1d');
			const metric = await vault.app.metrics.authRefusals.get();
			expect(Object.fromEntries(metric.values.map((v) => [v.labels.reason, v.value]))).toEqual({
				no_token: missing[401],
				invalid_token: wrong[401],
				auth_blocked: 9000 - missing[401]! - wrong[401]!,
				rate_limited: 1000,
			});
			expect((await verifyChain(db)).ok).toBe(true);
		} finally {
			if (!closed) await vault.app.close();
			await vault.database.dispose();
		}
	});

	it('tracks a bounded number of addresses per minute, the rest under *, and writes each minute when it ends', async () => {
		const vault = await startTestVault(backend);
		const { db } = vault.database;
		const writer = new AuditWriter(db, vault.app.keyring);
		const errors: unknown[] = [];
		const refusals = new AuthRefusals(writer, (error) => errors.push(error), 2);
		try {
			const since = await lastId(db);
			// a minute already over: its timer is due at once, with no later refusal and no close
			const past = (Math.floor(Date.now() / 60_000) - 1) * 60_000;
			for (const [index, ip] of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].entries())
				refusals.count(ip, 'no_token', past + index);
			refusals.count('10.0.0.1', 'invalid_token', past + 10);
			await vi.waitFor(async () => expect(await rowsAfter(db, since)).toHaveLength(3), WAIT_BOUND);
			const rows = await rowsAfter(db, since);
			expect(Object.fromEntries(rows.map((row) => [row.ip, row.details]))).toEqual({
				'10.0.0.1': {
					count: 2,
					first_at: new Date(past).toISOString(),
					last_at: new Date(past + 10).toISOString(),
					reasons: { no_token: 1, invalid_token: 1 },
				},
				'10.0.0.2': {
					count: 1,
					first_at: new Date(past + 1).toISOString(),
					last_at: new Date(past + 1).toISOString(),
					reasons: { no_token: 1 },
				},
				'*': {
					count: 2,
					first_at: new Date(past + 2).toISOString(),
					last_at: new Date(past + 3).toISOString(),
					reasons: { no_token: 2 },
				},
			});

			// a refusal of the next minute writes the one before, and only that one
			const since2 = await lastId(db);
			refusals.count('10.0.0.5', 'rate_limited', past + 60_000 + 1);
			refusals.count('10.0.0.5', 'rate_limited', past + 120_000 + 1);
			await vi.waitFor(async () => expect(await rowsAfter(db, since2)).toHaveLength(1), WAIT_BOUND);
			await refusals.close();
			expect((await rowsAfter(db, since2)).map((row) => row.details.count)).toEqual([1, 1]);
			expect(errors).toEqual([]);
		} finally {
			await refusals.close();
			await writer.drain();
			await vault.close();
		}
	});
});
