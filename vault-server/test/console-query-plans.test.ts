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
	type TableScan,
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

		const partitionsOf = async (table: string) =>
			(
				await database.db.query<{ name: string }>(
					`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
					 WHERE i.inhparent = $1::regclass`,
					[table],
				)
			).map((row) => row.name);
		/** The partitioned table's index a partition's index was made from; the index itself otherwise. */
		const parentIndexOf = async (index: string | undefined) => {
			if (index === undefined) return undefined;
			const [parent] = await database.db.query<{ name: string }>(
				`SELECT p.relname AS name FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
				 WHERE i.inhrelid = $1::regclass`,
				[index],
			);
			return parent?.name ?? index;
		};

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
				// a partitioned table (audit_log, by month) is read through its partitions, each through
				// its own copy of the parent's index
				const partitions = await partitionsOf(table);
				if (partitions.length === 0) {
					const scans = scansOn(plan, table);
					expect(scans, outline).toHaveLength(1);
					expect(scans[0]!.node, outline).not.toBe('Seq Scan');
					expect(indexes, outline).toContain(scans[0]!.index);
				}
				// each partition holding rows is read through an index of the table (which one is the
				// planner's choice per partition, by its own statistics); an empty one (the months
				// created ahead) costs nothing however it is read
				const scans: TableScan[] = [];
				const parents: (string | undefined)[] = [];
				for (const partition of partitions) {
					const [held] = await database.db.query<{ rows: boolean }>(
						`SELECT EXISTS (SELECT 1 FROM ${partition}) AS rows`,
					);
					if (!held!.rows) continue;
					for (const scan of scansOn(plan, partition)) {
						scans.push(scan);
						parents.push(await parentIndexOf(scan.index));
						expect(scan.node, outline).not.toBe('Seq Scan');
					}
				}
				if (partitions.length > 0) {
					expect(scans.length, outline).toBeGreaterThanOrEqual(1);
					expect(
						parents.filter((parent) => parent && indexes.includes(parent)).length,
						outline,
					).toBeGreaterThanOrEqual(1);
				}
				// across partitions a selective filter's few rows (a client's, an execution's) may be
				// gathered and sorted; a search that walks the time order must not sort what it reads
				const walksTime = partitions.length === 0 || indexes.includes('audit_log_time');
				if (
					keyset &&
					walksTime &&
					scansOn(plan, table).every((scan) => scan.node.startsWith('Index'))
				)
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

			it("of a service's clients page reads connections through (service, client_id)", async () => {
				const page = await oneStatement((q) =>
					clientsStore(q).list({ limit: 50, after: 'client-5000', service: 'console-mail' }),
				);
				await expectReadThrough(page, 'connections', ['connections_service_client']);
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
