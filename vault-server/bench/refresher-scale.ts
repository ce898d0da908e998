import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { pino } from 'pino';
import { openVault } from '../src/vault.js';
import { loadConfig } from '../src/config/config.js';
import { createService } from '../src/domain/services.js';
import { AuditWriter } from '../src/domain/audit-writer.js';
import { refresherFromConfig } from '../src/domain/refresh/refresher-from-config.js';
import { DEFAULT_LOOP, refreshDueConnections } from '../src/domain/refresh/refresh-loop.js';
import type { Database } from '../src/storage/database.js';
import { seedConnections } from './seed.js';
import { startProvider } from './refresher-drain.js';

export interface RefresherScale {
	/** Connections due at every pass: one full batch of the loop. */
	due: number;
	passes: number;
	/** The median time of a pass with `stored` connections in the table. */
	sizes: { stored: number; msPerPass: number }[];
}

interface ScaleOptions {
	adminUrl: string;
	masterKey: string;
	createDatabase(name: string): Promise<string>;
}

const DUE_SERVICE = 'bench-crm';
const STORED_SERVICE = 'bench-stored';
const log = pino({ level: 'error' });

/**
 * Fills the table up to `stored` connections with rows not due for an hour to a month, in SQL.
 * Their ciphertexts are zero bytes, which no key opens: a pass that read one would fail.
 */
async function storeUntil(db: Database, from: number, stored: number) {
	await db.query(
		`INSERT INTO services (name, display_name, oauth_type) VALUES ($1, $1, 'oauth2')`,
		[STORED_SERVICE],
	);
	const chunk = 250_000;
	for (let start = from; start < stored; start += chunk) {
		const range = [start, Math.min(start + chunk, stored) - 1];
		await db.query(
			`INSERT INTO clients (id, name) SELECT 'bench-stored-' || n, 'bench-stored-' || n
			 FROM generate_series($1::int, $2::int) AS n`,
			range,
		);
		await db.query(
			`INSERT INTO connections (client_id, service, credential_ciphertext, refresh_token_ciphertext,
				key_version, token_type, expires_at, next_refresh_at)
			 SELECT 'bench-stored-' || n, $3, $4::bytea, $5::bytea,
				(SELECT version FROM encryption_keys WHERE status = 'active'), 'Bearer',
				now() + make_interval(secs => 4200 + n % 2592000),
				now() + make_interval(secs => 3600 + n % 2592000)
			 FROM generate_series($1::int, $2::int) AS n`,
			[...range, STORED_SERVICE, Buffer.alloc(1100), Buffer.alloc(80)],
		);
	}
	// settled before timing: no autovacuum or checkpoint of the inserts during the passes
	await db.script('VACUUM ANALYZE connections, clients');
	await db.script('CHECKPOINT');
}

/**
 * A vault on a database of its own with `stored` connections, `due` of them with real tokens,
 * and the refresher `otobot-vault refresher` builds. `pass()` makes those `due` due again and
 * times one `refreshDueConnections`, checking that it renewed exactly them.
 */
async function openScaleRig(options: ScaleOptions, tokenUrl: string, stored: number, due: number) {
	const name = `otobot_bench_scale_${stored}`;
	const config = loadConfig({
		NODE_ENV: 'production',
		DATABASE_URL: await options.createDatabase(name),
		ENCRYPTION_MASTER_KEY: options.masterKey,
		// the bench provider listens on http://127.0.0.1
		ALLOW_INSECURE_OAUTH_URLS: 'true',
		// the local provider is on 127.0.0.1, which production refuses by default
		PROVIDER_PRIVATE_ADDRESSES: 'allow',
	});
	const vault = await openVault(config);
	const audit = new AuditWriter(vault.db, vault.keyring);
	const outcomes = new Map<string, number>();
	const refresher = refresherFromConfig(config, {
		db: vault.db,
		keyring: vault.keyring,
		audit,
		log,
		onOutcome: (_trigger, outcome) => void outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1),
	});
	const loop = { ...DEFAULT_LOOP, concurrency: config.refresher.concurrency };
	const close = async () => {
		await audit.drain();
		await vault.db.close();
		const admin = postgres(options.adminUrl, { max: 1, onnotice: () => {} });
		await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
		await admin.end();
	};
	try {
		const service = {
			display_name: 'Bench CRM',
			oauth_token_url: tokenUrl,
			oauth_client_id: 'vault-app',
			oauth_client_secret: 'vault-app-secret',
		};
		await createService(vault.db, vault.keyring, DUE_SERVICE, service, { allowInsecureUrls: true });
		// real refresh tokens for the due ones: every pass opens, renews and seals them again
		await seedConnections(vault.db, vault.keyring, {
			clients: due,
			services: [{ name: DUE_SERVICE, type: 'oauth2' }],
		});
		await storeUntil(vault.db, due, stored);
	} catch (error) {
		await close();
		throw error;
	}
	return {
		stored,
		close,
		async pass() {
			await vault.db.query(
				`UPDATE connections SET next_refresh_at = now() - interval '1 minute' WHERE service = $1`,
				[DUE_SERVICE],
			);
			outcomes.clear();
			const started = performance.now();
			const found = await refreshDueConnections(vault.db, refresher, loop, log);
			const ms = performance.now() - started;
			if (found !== due || outcomes.get('refreshed') !== due) {
				throw new Error(`a pass found ${found} due, outcomes: ${JSON.stringify([...outcomes])}`);
			}
			return ms;
		},
	};
}

const median = (values: number[]) =>
	[...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * The refresher's time per pass (`refreshDueConnections`, what its loop runs) with the same
 * number due and `sizes` connections stored, each size in a database of its own, passes taken in
 * turn so drift hits every size alike. The provider answers at once: the time is the vault's.
 */
export async function measureRefresherScale(
	options: ScaleOptions & { sizes?: number[]; passes?: number },
): Promise<RefresherScale> {
	const { sizes = [10_000, 1_000_000], passes = 11 } = options;
	const due = DEFAULT_LOOP.batchSize;
	const provider = await startProvider({ mode: 'ok', acceptAnyRefreshToken: true });
	const rigs: Awaited<ReturnType<typeof openScaleRig>>[] = [];
	try {
		for (const stored of sizes) {
			const seeding = performance.now();
			rigs.push(await openScaleRig(options, `${provider.base}/token`, stored, due));
			console.log(
				`${stored.toLocaleString('en')} connections stored in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
			);
		}
		// warm-up: JIT, the pools' connections, PostgreSQL's caches
		for (let run = 0; run < 2; run += 1) for (const rig of rigs) await rig.pass();
		const times = rigs.map((): number[] => []);
		for (let run = 0; run < passes; run += 1) {
			const order = rigs.map((_rig, index) => index);
			if (run % 2 === 1) order.reverse();
			for (const index of order) times[index]!.push(await rigs[index]!.pass());
		}
		for (const [index, rig] of rigs.entries()) {
			console.log(
				`${rig.stored.toLocaleString('en')} stored: ${times[index]!.map((ms) => ms.toFixed(0)).join(', ')} ms`,
			);
		}
		return {
			due,
			passes,
			sizes: rigs.map((rig, index) => ({ stored: rig.stored, msPerPass: median(times[index]!) })),
		};
	} finally {
		for (const rig of rigs) await rig.close();
		provider.child.kill('SIGTERM');
	}
}
