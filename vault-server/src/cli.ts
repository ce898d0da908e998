import { CommanderError } from 'commander';
import { ConfigError, loadConfig } from './config/config.js';
import { flagSource, readEnvironment } from './config/environment.js';
import { MasterKeyMismatch } from './crypto/keyring.js';
import { DatabaseLocked, DatabaseUnreachable } from './storage/open-database.js';
import { buildProgram } from './cli/program.js';
import { CliFailure, printable } from './cli/cli-output.js';
import { BackupKeyMismatch, BackupUnreadable } from './domain/backup/backup-file.js';
import { PostgresToolFailed } from './storage/postgres-dump.js';
import { PostgresToolMissing } from './storage/postgres-tools.js';

/** Exit status of a usage error: an unknown command or flag, a missing or bad argument. */
const BAD_USAGE = 2;

/**
 * `otobot-vault <command> [...]`: exit 0 on success (and for --help, --version), 1 on failure,
 * 2 on bad usage or configuration.
 */
async function main(argv: string[]): Promise<number> {
	let code = 0;
	const program = buildProgram(
		(overrides = {}) => {
			// a .env beside the operator, as docker compose reads it; variables already set win, and
			// a command-line flag wins over both
			const environment = readEnvironment();
			const values = { ...environment.values };
			const files = { ...environment.files };
			for (const [name, { value, flag }] of Object.entries(overrides)) {
				values[name] = value;
				files[name] = flagSource(flag);
			}
			return loadConfig(values, files);
		},
		(status) => {
			code = status;
		},
	);
	if (argv.length === 0) {
		program.outputHelp();
		return 0;
	}
	try {
		await program.parseAsync(argv, { from: 'user' });
	} catch (error) {
		// commander has already printed the message (or the help, or the version)
		if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : BAD_USAGE;
		throw error;
	}
	return code;
}

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		const known =
			error instanceof ConfigError ||
			error instanceof CliFailure ||
			error instanceof MasterKeyMismatch ||
			error instanceof DatabaseLocked ||
			error instanceof DatabaseUnreachable ||
			error instanceof BackupUnreadable ||
			error instanceof BackupKeyMismatch ||
			error instanceof PostgresToolMissing ||
			error instanceof PostgresToolFailed;
		process.stderr.write(
			`otobot-vault: ${printable(error instanceof Error ? error.message : String(error))}\n`,
		);
		if (!known && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
		process.exitCode = error instanceof ConfigError ? 2 : 1;
	},
);
