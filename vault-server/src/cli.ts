import { ConfigError, loadConfig } from './config/config.js';
import { readEnvironment } from './config/environment.js';
import { MasterKeyMismatch } from './crypto/keyring.js';
import { DatabaseLocked, DatabaseUnreachable } from './storage/open-database.js';
import { COMMANDS, usage } from './cli/commands.js';

/** `otobot-vault <command> [...]`: exit 0 on success, 1 on failure, 2 on bad usage or config. */
async function main(argv: string[]): Promise<number> {
	const [name, ...rest] = argv;
	const command = name ? COMMANDS[name] : undefined;
	if (!command) {
		process.stderr.write(usage());
		return name === undefined || name === '--help' || name === 'help' ? 0 : 2;
	}
	// a .env beside the operator, as docker compose reads it; variables already set win
	const environment = readEnvironment();
	return command(rest, loadConfig(environment.values, environment.files));
}

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		const known =
			error instanceof ConfigError ||
			error instanceof MasterKeyMismatch ||
			error instanceof DatabaseLocked ||
			error instanceof DatabaseUnreachable;
		process.stderr.write(
			`otobot-vault: ${error instanceof Error ? error.message : String(error)}\n`,
		);
		if (!known && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
		process.exitCode = error instanceof ConfigError ? 2 : 1;
	},
);
