/**
 * A configuration value the vault cannot start with. The message names the variable and where it
 * was set (the process environment or a `.env` file), never its value; `otobot-vault` prints it
 * as one line, without a stack, and exits with code 2.
 */
export class ConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ConfigError';
	}
}
