import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../src/crypto/keyring.js';
import { encryptionKeysStore } from '../src/storage/encryption-keys-store.js';
import { migrate, readMigrations } from '../src/storage/migrations.js';
import { migrationsDirectory } from '../src/storage/sql-directory.js';
import { auditStore, type AuditQuery } from '../src/storage/audit-store.js';
import { clientsStore } from '../src/storage/clients-store.js';
import { connectionsStore } from '../src/storage/connections-store.js';
import { connectLinksStore } from '../src/storage/connect-links-store.js';
import { AUDIT_SPACING_SECONDS, seedConsole } from '../bench/console-seed.js';
import { backends, openTestDatabase, type TestDatabase } from './helpers/databases.js';
import {
	planOf,
	planOutline,
	scansOn,
	statementsOf,
	type PlanNode,
	type Statement,
} from './helpers/query-plan.js';

const CLIENTS = 10_000;
// a tenth of the benchmark's million (npm run bench -- --only console): seeding a million rows
// takes minutes on a busy 2-core machine; the plans' choice is the same from this size on
const AUDIT_ROWS = 100_000;
const DAY = 86_400_000;

/** Every node of `plan`, outermost first. */
const nodesOf = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];

const oneStatement = async (work: Parameters<typeof statementsOf>[0]) => {
	const [statement] = await statementsOf(work);
	return statement!;
};

// the plans that matter at scale are PostgreSQL's: PGlite is the small embedded vault
describe.runIf(backends().includes('postgres'))(
	`console query plans on PostgreSQL, ${CLIENTS} clients x 3 connections, ${AUDIT_ROWS} audit rows`,
	() => {
		let database: TestDatabase;
		let newest: Date;

		beforeAll(async () => {
			database = await openTestDatabase('postgres');
			await migrate(database.db, readMigrations(migrationsDirectory()));
			await Keyring.open(encryptionKeysStore(database.db), randomBytes(32));
			newest = new Date();
			await seedConsole(database.db, { clients: CLIENTS, auditRows: AUDIT_ROWS, apiTokens: 20 });
		});
		afterAll(() => database?.dispose());

		const monthAgo = () => new Date(newest.getTime() - 30 * DAY);
		// each search and the indexes it may read through: where a filter matches a third of the rows
		// (a service), walking the time index and skipping the others is as good a plan
		const searches: [string, () => Omit<AuditQuery, 'limit'>, string[]][] = [
			['no filter', () => ({}), ['audit_log_time']],
			[
				'client',
				() => ({ clientId: 'client-77' }),
				['audit_log_client_time', 'audit_log_connection_time'],
			],
			[
				'client and service',
				() => ({ clientId: 'client-77', service: 'console-mail' }),
				['audit_log_connection_time'],
			],
			[
				'service',
				() => ({ service: 'console-mail' }),
				['audit_log_service_time', 'audit_log_time'],
			],
			['a rare action', () => ({ action: 'connect.open' }), ['audit_log_action_time']],
			['outcome failure', () => ({ outcome: 'failure' }), ['audit_log_failure_time']],
			['outcome success', () => ({ outcome: 'success' }), ['audit_log_time']],
			['workflow', () => ({ workflowId: 'wf-123' }), ['audit_log_workflow_time']],
			['execution', () => ({ executionId: 'ex-4242' }), ['audit_log_execution_time']],
			[
				'a day a month ago',
				() => ({ since: monthAgo(), until: new Date(monthAgo().getTime() + DAY) }),
				['audit_log_time'],
			],
			[
				'a client, from a cursor',
				() => ({
					clientId: 'client-77',
					before: { at: monthAgo().toISOString(), id: AUDIT_ROWS / 2 },
				}),
				['audit_log_client_time'],
			],
		];

		it('the seeded rows span the time the benchmark assumes', async () => {
			const [span] = await database.db.query<{ n: number; days: number }>(
				`SELECT count(*)::int AS n,
					round(extract(epoch FROM max(occurred_at) - min(occurred_at)) / 86400)::int AS days
				 FROM audit_log`,
			);
			expect(span).toEqual({
				n: AUDIT_ROWS,
				days: Math.round(((AUDIT_ROWS - 1) * AUDIT_SPACING_SECONDS) / 86_400),
			});
		});

		describe.each(['custom', 'generic'] as const)('the %s plan', (kind) => {
			/**
			 * `statement` reads `table` once, through one of `indexes`, never sequentially. With
			 * `keyset`, where it reads in index order (an index scan) no sort follows: the page stops
			 * at its limit. (A client's few connections and links are sorted, and that is fine.)
			 */
			const expectReadThrough = async (
				statement: Statement,
				table: string,
				indexes: string[],
				keyset = true,
			) => {
				const plan = await planOf(database.db, statement, kind);
				const outline = planOutline(plan);
				const scans = scansOn(plan, table);
				expect(scans, outline).toHaveLength(1);
				expect(scans[0]!.node, outline).not.toBe('Seq Scan');
				expect(indexes, outline).toContain(scans[0]!.index);
				if (keyset && scans[0]!.node.startsWith('Index'))
					expect(
						nodesOf(plan).filter((node) => node['Node Type'] === 'Sort'),
						outline,
					).toEqual([]);
			};

			it.each(searches)(
				'of an audit search by %s reads audit_log through %j',
				async (_name, filters, indexes) => {
					const search = await oneStatement((q) =>
						auditStore(q).search({ ...filters(), limit: 101 }),
					);
					await expectReadThrough(search, 'audit_log', indexes);
				},
			);

			it("of a page's cursor reads audit_log by primary key", async () => {
				const cursor = await oneStatement((q) => auditStore(q).cursorOf(AUDIT_ROWS / 2));
				await expectReadThrough(cursor, 'audit_log', ['audit_log_pkey']);
			});

			it('of the clients page reads clients by primary key', async () => {
				const page = await oneStatement((q) =>
					clientsStore(q).list({ limit: 50, after: 'client-5000' }),
				);
				await expectReadThrough(page, 'clients', ['clients_pkey']);
			});

			it("of a client's connections reads them by primary key", async () => {
				const list = await oneStatement((q) => connectionsStore(q).listForClient('client-77'));
				await expectReadThrough(list, 'connections', ['connections_pkey'], false);
			});

			it("of a client's connect links reads no other client's", async () => {
				const list = await oneStatement((q) =>
					connectLinksStore(q).list({ clientId: 'client-77', limit: 50 }),
				);
				await expectReadThrough(list, 'connect_links', ['connect_links_client_service'], false);
			});
		});
	},
);
