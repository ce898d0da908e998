import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../src/crypto/keyring.js';
import { encryptionKeysStore } from '../src/storage/encryption-keys-store.js';
import { DEFAULT_LOOP } from '../src/domain/refresh/refresh-loop.js';
import type { Queryable } from '../src/storage/database.js';
import { migrate, readMigrations } from '../src/storage/migrations.js';
import { refreshStore } from '../src/storage/refresh-store.js';
import { connectionsStore } from '../src/storage/connections-store.js';
import { migrationsDirectory } from '../src/storage/sql-directory.js';
import { backends, openTestDatabase, type TestDatabase } from './helpers/databases.js';
import {
	indexScansOn,
	planOf,
	planOutline,
	scansOn,
	statementsOf,
	type Statement,
} from './helpers/query-plan.js';

const CLIENTS = 10_000;
const DUE_CLIENTS = 3;

/**
 * CLIENTS clients x 3 services in three statements. Of the two OAuth2 services, the first
 * DUE_CLIENTS clients' connections are due, one in 40 needs reauthorisation and the rest fall due
 * over the next day; the API-key service is never due. Ciphertexts are dummies: nothing decrypts.
 */
async function seedConnections(db: Queryable) {
	await db.query(
		`INSERT INTO services (name, display_name, oauth_type)
		 VALUES ('plan-crm', 'CRM', 'oauth2'), ('plan-mail', 'Mail', 'oauth2'), ('plan-ai', 'AI', 'api_key')`,
	);
	await db.query(
		`INSERT INTO clients (id, name) SELECT 'client-' || n, 'Client ' || n FROM generate_series(1, $1::int) AS n`,
		[CLIENTS],
	);
	await db.query(
		`INSERT INTO connections (client_id, service, status, credential_ciphertext, refresh_token_ciphertext,
			key_version, expires_at, next_refresh_at)
		 SELECT 'client-' || n, s.name,
			CASE WHEN renewable AND n % 40 = 0 THEN 'needs_reauth' ELSE 'active' END,
			decode(repeat('5a', 600), 'hex'),
			CASE WHEN renewable THEN decode(repeat('a5', 80), 'hex') END,
			(SELECT version FROM encryption_keys WHERE status = 'active'),
			CASE WHEN renewable THEN now() + make_interval(mins => 20 + n % 1440) END,
			CASE WHEN NOT renewable OR n % 40 = 0 THEN NULL
				WHEN n <= $2 THEN now() - make_interval(mins => n)
				ELSE now() + make_interval(mins => 10 + n % 1440) END
		 FROM generate_series(1, $1::int) AS n,
			LATERAL (SELECT name, oauth_type = 'oauth2' AS renewable FROM services WHERE name LIKE 'plan-%') AS s`,
		[CLIENTS, DUE_CLIENTS],
	);
	await db.query('ANALYZE');
}

// the plans that matter at scale are PostgreSQL's: PGlite is the small embedded vault
describe.runIf(backends().includes('postgres'))(
	`query plans on PostgreSQL, ${CLIENTS * 3} connections stored`,
	() => {
		let database: TestDatabase;

		beforeAll(async () => {
			database = await openTestDatabase('postgres');
			await migrate(database.db, readMigrations(migrationsDirectory()));
			await Keyring.open(encryptionKeysStore(database.db), randomBytes(32));
			await seedConnections(database.db);
		});
		afterAll(() => database?.dispose());

		it("the refresher's due-query finds the few due connections among them", async () => {
			const [due] = await statementsOf((q) => refreshStore(q).listDue(DEFAULT_LOOP.batchSize));
			const rows = await database.db.query(due!.text, due!.params);
			expect(rows).toHaveLength(DUE_CLIENTS * 2);
			const [stored] = await database.db.query<{ n: number }>(
				'SELECT count(*)::int AS n FROM connections',
			);
			expect(stored!.n).toBe(CLIENTS * 3);
		});

		describe.each(['custom', 'generic'] as const)('the %s plan', (kind) => {
			/** `statement` reads `table` through `index` and nothing else, sequential scans least of all. */
			const expectReadThrough = async (statement: Statement, table: string, index: string) => {
				const plan = await planOf(database.db, statement, kind);
				const scans = scansOn(plan, table);
				expect(
					scans.filter((scan) => scan.node === 'Seq Scan'),
					planOutline(plan),
				).toEqual([]);
				expect(indexScansOn(plan, table), planOutline(plan)).toEqual([index]);
				expect(scans, planOutline(plan)).toHaveLength(1);
			};

			it("of the refresher's due-query reads connections through its partial index", async () => {
				const [due] = await statementsOf((q) => refreshStore(q).listDue(DEFAULT_LOOP.batchSize));
				await expectReadThrough(due!, 'connections', 'connections_next_refresh');
			});

			it('of the credential-fetch lookup reads clients and connections by primary key', async () => {
				// a batch as concurrent fetches make it: several clients, a repeat, an unknown client
				const pairs = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 89, 20_000].map((n) => ({
					clientId: `client-${n}`,
					service: n % 2 ? 'plan-crm' : 'plan-ai',
				}));
				const [lookup] = await statementsOf((q) => connectionsStore(q).findManyForFetch(pairs));
				await expectReadThrough(lookup!, 'connections', 'connections_pkey');
				await expectReadThrough(lookup!, 'clients', 'clients_pkey');
			});
		});
	},
);
