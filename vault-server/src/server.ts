import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { ConfigError, type Config } from './config/config.js';
import { buildApp } from './app.js';
import { openVault } from './vault.js';
import { CREATE_ADMIN_HINT, ensureAdminToken } from './bootstrap-admin.js';
import { logFormatFor, prettyLogStream } from './config/log-output.js';
import { advertiseRunningVault, localUrlOf } from './running-vault.js';
import { archiveDirProblem } from './domain/audit-maintenance.js';
import { isListenError, ListenFailed, listenFailureMessage } from './config/listen-failure.js';
import { reserveListeners } from './listeners.js';

/**
 * Starts the vault's HTTP server and closes it gracefully on SIGINT/SIGTERM. Throws ConfigError
 * before opening the database when NODE_ENV=production has no PUBLIC_URL (see publicUrlProblem),
 * or when HOST, PORT or METRICS_PORT cannot be listened on (reserveListeners).
 */
export async function serve(config: Config): Promise<FastifyInstance> {
	const problem =
		publicUrlProblem(config) ?? archiveDirProblem(config.audit, config.sources.AUDIT_ARCHIVE_DIR);
	if (problem) throw new ConfigError(problem);
	// held while the vault opens: a host or port that cannot be listened on fails before any
	// migration or minted token, and no other process can take the ports meanwhile
	const releaseListeners = await reserveListeners(config);
	let prepared: Prepared;
	try {
		prepared = await prepare(config);
	} finally {
		await releaseListeners();
	}
	const { app, pglite, adminTokenFile, pretty } = prepared;
	const log = app.log;

	let closing = false;
	const shutdown = (signal: string) => {
		if (closing) return;
		closing = true;
		log.info({ signal }, 'shutting down');
		app.close().then(
			() => process.exit(0),
			(error: unknown) => {
				log.error({ err: error }, 'shutdown failed');
				process.exit(1);
			},
		);
	};
	process.once('SIGINT', () => shutdown('SIGINT'));
	process.once('SIGTERM', () => shutdown('SIGTERM'));

	try {
		await app.listen({ host: config.host, port: config.port });
	} catch (error) {
		// the database, the refresher and the timers would keep a process that serves nothing alive
		await app.close().catch(() => {});
		if (error instanceof ListenFailed)
			throw new ConfigError(listenFailureMessage(config, error.variable, error.port, error.error));
		if (!isListenError(error)) throw error;
		throw new ConfigError(listenFailureMessage(config, 'PORT', config.port, error));
	}
	if (pglite) {
		// the CLI cannot open the embedded database while this process holds it: it asks here instead
		const withdraw = advertiseRunningVault(
			config.dataDir,
			localUrlOf(app.server.address() as AddressInfo),
		);
		process.once('exit', withdraw);
	}
	// on a terminal, the one thing a first run must see is a plain line, last, not a log field
	if (adminTokenFile && pretty) {
		process.stdout.write(
			`\nNo admin token was configured, so one was created. Read it with:\n  cat ${adminTokenFile}\n\n`,
		);
	}
	return app;
}

interface Prepared {
	app: FastifyInstance;
	pglite: boolean;
	adminTokenFile: string | undefined;
	pretty: boolean;
}

/** The vault opened (migrated, keys loaded), the app built and the admin token ensured. */
async function prepare(config: Config): Promise<Prepared> {
	const notices: string[] = [];
	const vault = await openVault(config, { announce: (message) => notices.push(message) });
	const pretty = logFormatFor(config.logFormat, process.stdout.isTTY === true) === 'pretty';
	const app = await buildApp({
		config,
		db: vault.db,
		keyring: vault.keyring,
		closeDatabase: true,
		logStream: pretty ? prettyLogStream(process.stdout.isTTY === true) : undefined,
	});
	const log = app.log;

	for (const notice of [...config.warnings, ...notices]) log.warn(notice);

	for (const migration of vault.migrationsApplied) {
		log.info({ version: migration.version, name: migration.name }, 'migration applied');
	}
	if (vault.masterKey.devKeyFile) {
		log.warn(
			{ keyFile: vault.masterKey.devKeyFile.path },
			'DEVELOPMENT MODE: ENCRYPTION_MASTER_KEY is not set, so the master key is kept in a file ' +
				'beside the data. Anyone who can read that folder can decrypt every secret. ' +
				'Set ENCRYPTION_MASTER_KEY (openssl rand -hex 32) and NODE_ENV=production for real use.',
		);
	}
	if (config.allowInsecureOAuthUrls) {
		log.warn(
			'ALLOW_INSECURE_OAUTH_URLS=true: services may use http:// OAuth endpoints. For local testing only.',
		);
	}
	if (config.production && config.providerPrivateAddresses === 'allow') {
		log.warn(
			'PROVIDER_PRIVATE_ADDRESSES=allow: token and test URLs may reach loopback, private and ' +
				'cloud metadata addresses, and the vault will send secrets there.',
		);
	}
	if (vault.db.kind === 'pglite') {
		log.info(
			{ dataDir: config.dataDir },
			'using the embedded database (PGlite); set DATABASE_URL for PostgreSQL',
		);
	}
	const bootstrap = await ensureAdminToken(vault.db, {
		environmentAdmins: config.adminTokens.length,
		dataDir: config.dataDir,
	});
	const adminTokenFile = bootstrap && 'minted' in bootstrap ? bootstrap.minted : undefined;
	if (bootstrap && 'noAdminLeft' in bootstrap) log.warn(CREATE_ADMIN_HINT);
	if (bootstrap && 'kept' in bootstrap)
		log.info(
			{ file: bootstrap.kept },
			`The admin token created at the first start is still active. Read it with: cat ${bootstrap.kept}`,
		);
	if (adminTokenFile && !pretty) {
		log.warn(
			{ file: adminTokenFile },
			`No admin token was configured, so one was created. Read it with: cat ${adminTokenFile}`,
		);
	}
	return { app, pglite: vault.db.kind === 'pglite', adminTokenFile, pretty };
}

/**
 * Why a production `serve` cannot run without PUBLIC_URL: connect links and the OAuth
 * `redirect_uri` (RFC 6749 §3.1.2) would be `http://localhost:<port>/…`, which no client's browser
 * and no provider can reach, and nothing would say so. Undefined when there is no such problem.
 */
export function publicUrlProblem(config: Config): string | undefined {
	if (!config.production || config.sources.PUBLIC_URL !== undefined) return undefined;
	return (
		`PUBLIC_URL is not set, and NODE_ENV=production (set in ${config.sources.NODE_ENV}) requires ` +
		`it for serve: connect links and the OAuth redirect URL would be ${config.publicUrl}/…, which ` +
		'no one else can open. Set it to the base URL clients and providers reach the vault at, ' +
		'e.g. PUBLIC_URL=https://vault.example.com'
	);
}
