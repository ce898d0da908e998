import { displayNameLength, displayNameProblem } from '../domain/display-name.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration, type Config } from '../config/config.js';
import { wholeNumberProblem } from '../config/whole-number.js';
import { MAX_LINK_MINUTES } from '../domain/connect-links.js';
import { VERSION } from '../version.js';
import { auditArchiveCommand, parseArchiveDate } from './audit-archive-command.js';
import { auditHeadCommand, auditVerifyCommand, parseExportedHead } from './audit-command.js';
import { printable } from './cli-output.js';
import { backupCommand } from './backup-command.js';
import { backupVerifyCommand } from './backup-verify-command.js';
import {
	connectLinkCommand,
	listConnectLinksCommand,
	revokeConnectLinkCommand,
} from './connect-link-command.js';
import { insertDemoDataCommand, removeDemoDataCommand } from './demo-data-command.js';
import { keysRetireCommand, keysRotateCommand, keysStatusCommand } from './keys-command.js';
import { keysRewrapCommand } from './keys-rewrap-command.js';
import { migrateCommand } from './migrate-command.js';
import { monitorCommand } from './monitor-command.js';
import { refresherCommand } from './refresher-command.js';
import { restoreCommand } from './restore-command.js';
import { schemaCommand } from './schema-command.js';
import { serveCommand } from './serve-command.js';
import { testConnectionsCommand } from './test-connections-command.js';
import { createTokenCommand, listTokensCommand, revokeTokenCommand } from './token-command.js';

/** A variable a command-line flag set, and that flag, which messages name as its source. */
export interface FlagValue {
	value: string;
	flag: string;
}

/** Reads the configuration when a command runs; `overrides` are variables its flags set. */
export type ConfigLoader = (overrides?: Record<string, FlagValue>) => Config;

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const TOKEN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A parser for a whole-number flag or argument from `min` to `max`. */
const wholeNumber = (min: number, max: number) => (value: string) => {
	const problem = wholeNumberProblem(value, min, max);
	if (problem !== undefined) throw new InvalidArgumentError(`It must be ${problem}.`);
	return Number(value);
};

const duration = (value: string) => {
	let ms: number;
	try {
		ms = parseDuration(value, '--interval');
	} catch {
		throw new InvalidArgumentError("It must be a duration such as '30s', '5m' or '1h'.");
	}
	if (ms < 1000) throw new InvalidArgumentError('It must be at least 1s.');
	return { text: value, ms };
};

const clientIds = (value: string) => {
	const ids = value
		.split(',')
		.map((id) => id.trim())
		.filter(Boolean);
	const bad = ids.find((id) => !CLIENT_ID.test(id));
	if (bad !== undefined || ids.length === 0)
		throw new InvalidArgumentError(`'${bad ?? value}' is not a client id.`);
	return ids;
};

/** `token create --name`: the API's rule for a token name (domain/display-name.ts, 1-200). */
const tokenName = (value: string) => {
	const problem =
		displayNameLength(value) > 200 ? 'must be at most 200 characters' : displayNameProblem(value);
	if (problem !== undefined) throw new InvalidArgumentError(`A token name ${problem}.`);
	return value;
};

const tokenId = (value: string) => {
	if (!TOKEN_ID.test(value))
		throw new InvalidArgumentError('A token id is a UUID, as `otobot-vault token list` shows.');
	return value;
};

const linkId = (value: string) => {
	if (!TOKEN_ID.test(value))
		throw new InvalidArgumentError(
			'A link id is a UUID, as `otobot-vault connect-link list` shows.',
		);
	return value;
};

const exportedHead = (value: string) => {
	if (!parseExportedHead(value))
		throw new InvalidArgumentError(
			'It must be ID:HASH as `otobot-vault audit head` prints it (e.g. 42:<64 hex>), ID a row id from 1.',
		);
	return value;
};

const archiveDate = (value: string) => {
	if (!parseArchiveDate(value))
		throw new InvalidArgumentError(
			'It must be a date, YYYY-MM-DD (or an ISO 8601 time with its zone).',
		);
	return value;
};

const json = () => new Option('--json', 'print JSON for scripts');

/**
 * `otobot-vault help [command...]`: that command's help, exit 0; an unknown name is an error
 * naming it (commander's own help command prints the general help instead).
 */
function addHelpCommand(program: Command, done: (code: number) => void): void {
	program.helpCommand(false);
	program
		.command('help')
		.description('display help for a command')
		.argument('[command...]', 'the command, e.g. `token create`')
		.action((names: string[]) => {
			let target = program;
			for (const name of names) {
				const next = target.commands.find(
					(command) => command.name() === name && command.name() !== 'help',
				);
				if (!next) target.error(`error: unknown command '${name}'`);
				target = next!;
			}
			target.outputHelp();
			done(0);
		});
}

/** `--version` alone prints the version; with anything beside it, an error naming the extra. */
function addVersionOption(program: Command): void {
	// registered before commander's own listener, which prints the version and exits
	program.on('option:version', () => {
		// commander keeps the arguments it parses as `rawArgs` (not in its type declarations)
		const { rawArgs } = program as unknown as { rawArgs: string[] };
		const extra = rawArgs.find((arg) => arg !== '--version' && arg !== '-V');
		if (extra !== undefined) program.error(`error: --version takes no arguments; got '${extra}'`);
	});
	program.version(VERSION);
}

/**
 * The `otobot-vault` command line: its commands, arguments, flags and help. Strict: an unknown
 * command, flag or extra argument is an error naming it. `done` receives a command's exit status.
 */
export function buildProgram(loadConfig: ConfigLoader, done: (code: number) => void): Command {
	const run =
		<A extends unknown[]>(handler: (config: Config, ...args: A) => Promise<number>) =>
		async (...args: A) =>
			done(await handler(loadConfig(), ...args));

	const program = new Command('otobot-vault')
		.description('Otobot Vault: credential store, OAuth2 refresher and audit log for n8n.')
		.exitOverride()
		// a refused argument is echoed: its control characters must not reach the terminal
		.configureOutput({ outputError: (text, write) => write(printable(text)) })
		// a subcommand's flags are its own (see connect-link)
		.enablePositionalOptions()
		.showHelpAfterError('(add --help for usage)')
		.addHelpText(
			'after',
			'\nConfiguration comes from the environment and a .env file; see .env.example.',
		);
	addVersionOption(program);

	program
		.command('serve')
		.description('run the HTTP API')
		.option(
			'--port <port>',
			'listen on this port (overrides PORT, default 3001)',
			wholeNumber(0, 65535),
		)
		.option('--host <host>', 'listen on this address (overrides HOST, default 127.0.0.1)')
		.action(async (options: { port?: number; host?: string }) => {
			const overrides: Record<string, FlagValue> = {};
			if (options.port !== undefined)
				overrides.PORT = { value: String(options.port), flag: '--port' };
			if (options.host !== undefined) overrides.HOST = { value: options.host, flag: '--host' };
			done(await serveCommand(loadConfig(overrides)));
		});
	program
		.command('refresher')
		.description('run the background OAuth2 refresher and alert evaluator on their own')
		.action(run(refresherCommand));
	program
		.command('migrate')
		.description('apply pending database migrations')
		.action(run(migrateCommand));
	program
		.command('schema-sql')
		.description('print the whole schema as one SQL script')
		.action(async () => done(await schemaCommand()));

	const token = program.command('token').description('API tokens: create, list, revoke');
	token
		.command('create')
		.description('create an API token and print it once (the vault keeps only its hash)')
		.requiredOption('--name <name>', 'what the token is for, e.g. "n8n 2025-07"', tokenName)
		.addOption(
			new Option('--scope <scope>', 'admin, or read (fetch credentials)')
				.choices(['admin', 'read'])
				.makeOptionMandatory(),
		)
		.option(
			'--expires-in-days <days>',
			'expire after this many days (1-3650)',
			wholeNumber(1, 3650),
		)
		.option(
			'--clients <ids>',
			'read tokens only: the client ids it may fetch, comma-separated',
			clientIds,
		)
		.addOption(json())
		.action(async function (this: Command, options: Parameters<typeof createTokenCommand>[1]) {
			if (options.clients && options.scope === 'admin')
				this.error("error: option '--clients <ids>' applies to read tokens only");
			done(await createTokenCommand(loadConfig(), options));
		});
	token
		.command('list')
		.description('list API tokens (never their values)')
		.addOption(json())
		.action(run(listTokensCommand));
	token
		.command('revoke')
		.description('revoke an API token')
		.argument('<id>', 'the token id, as `token list` shows', tokenId)
		.action(run(revokeTokenCommand));

	const audit = program.command('audit').description("the audit log's keyed hash chain");
	audit
		.command('verify')
		.description('recompute the hash chain; exit 1 naming the first edited or deleted row')
		.option(
			'--expect-head <ID:HASH>',
			'a head kept outside the database (`audit head`): fail when it is missing or differs',
			exportedHead,
		)
		.option(
			'--archive <FILE>',
			'check a file `audit archive` wrote: its rows must chain up to a checkpoint of this vault',
		)
		.action(run(auditVerifyCommand));
	audit
		.command('archive')
		.description(
			'write the rows before the month of DATE (UTC) to FILE (JSON Lines), then remove them',
		)
		.requiredOption(
			'--before <DATE>',
			'YYYY-MM-DD; the cut is the first day of its month',
			archiveDate,
		)
		.requiredOption('--output <FILE>', 'the archive to create (never overwritten)')
		.action(run(auditArchiveCommand));
	audit
		.command('head')
		.description("print the chain's newest id and hash (ID:HASH) to keep outside the database")
		.addOption(json())
		.action(run(auditHeadCommand));

	const backup = program
		.command('backup')
		.description('write a backup of the database to a file; or verify one (the restore drill)')
		.usage('--output <file> [--force] | verify <file>')
		.enablePositionalOptions()
		.option('--output <file>', 'the backup file to write (mode 0600); an existing one is refused')
		.option('--force', 'replace the --output file if it exists (by rename, never half-written)')
		// not requiredOption: commander would then ask for it in `backup verify` too
		.action(async function (this: Command, options: { output?: string; force?: boolean }) {
			if (options.output === undefined)
				this.error("error: required option '--output <file>' not specified");
			done(await backupCommand(loadConfig(), { output: options.output, force: options.force }));
		});
	backup
		.command('verify')
		.description(
			'restore into a scratch database, check migrations, ciphertexts, audit chain; exit 1 on a problem',
		)
		.argument('<file>', 'the backup file')
		.action(run(backupVerifyCommand));
	program
		.command('restore')
		.description('restore a backup into the configured database, which must be empty')
		.argument('<file>', 'the backup file')
		.action(run(restoreCommand));

	const connectLink = program
		.command('connect-link')
		.description(
			'a single-use link the client opens to (re)connect an account; or list, revoke links',
		)
		.usage('<client> <service> [options] | list [options] | revoke <id>')
		// `connect-link list --json`: the flag belongs to `list`, not to the link-creating form
		.enablePositionalOptions()
		.argument('<client>', 'the client id')
		.argument('<service>', 'the service name')
		.option(
			'--expires-in-minutes <minutes>',
			`link lifetime (1-${MAX_LINK_MINUTES})`,
			wholeNumber(1, MAX_LINK_MINUTES),
		)
		.addOption(json())
		.action(run(connectLinkCommand));
	connectLink
		.command('list')
		.description('connect links, newest first, never their token')
		.option('--client <id>', 'only this client')
		.option('--service <name>', 'only this service')
		.addOption(
			new Option('--status <status>', 'only links in this state').choices([
				'open',
				'used',
				'expired',
				'revoked',
			]),
		)
		.option('--limit <n>', 'at most this many (1-1000)', wholeNumber(1, 1000), 100)
		.option('--after <id>', 'the page after this link id, as the last list printed', linkId)
		.addOption(json())
		.action(run(listConnectLinksCommand));
	connectLink
		.command('revoke')
		.description('revoke a link: it can no longer connect an account')
		.argument('<id>', 'the link id, as `connect-link list` shows', linkId)
		.action(run(revokeConnectLinkCommand));

	const keys = program
		.command('keys')
		.description('data key versions: status, rotate, rewrap, retire');
	keys
		.command('status')
		.description('data key versions and the ciphertexts each protects')
		.addOption(json())
		.action(run(keysStatusCommand));
	keys
		.command('rotate')
		.description('create a new data key version, active for new secrets')
		.addOption(json())
		.action(run(keysRotateCommand));
	keys
		.command('rewrap')
		.description('re-encrypt older ciphertexts under the active version, batch by batch')
		.option('--batch <rows>', 'rows per batch (1-10000)', wholeNumber(1, 10_000), 100)
		.option('--pause-ms <ms>', 'pause between batches (0-60000)', wholeNumber(0, 60_000), 0)
		.addOption(json())
		.action(run(keysRewrapCommand));
	keys
		.command('retire')
		.description('retire a version no ciphertext uses any more')
		.argument('<version>', 'the key version', wholeNumber(1, 2_147_483_647))
		.action(run(keysRetireCommand));

	program
		.command('monitor')
		.description('expired, expiring and failing tokens, open alerts; exit 1 when action is needed')
		.option('--watch', 'redraw until Ctrl-C')
		.option('--interval <duration>', 'time between redraws with --watch', duration, duration('5m'))
		.addOption(json())
		.action(run(monitorCommand));

	program
		.command('test-connections')
		.description('check the database, master key, API and every connection; exit 1 if one FAILED')
		.addOption(
			new Option('--insert-test-data', 'add the demo test data (idempotent)').conflicts(
				'removeTestData',
			),
		)
		.addOption(new Option('--remove-test-data', 'remove the demo test data'))
		.action(
			run((config, options: { insertTestData?: boolean; removeTestData?: boolean }) =>
				options.insertTestData
					? insertDemoDataCommand(config)
					: options.removeTestData
						? removeDemoDataCommand(config)
						: testConnectionsCommand(config),
			),
		);
	addHelpCommand(program, done);
	return program;
}
