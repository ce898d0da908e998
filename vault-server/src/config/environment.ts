import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './config-error.js';

/** What the process was started with: its environment plus, under it, a `.env` file. */
export interface Environment {
	values: Record<string, string | undefined>;
	/** Where each variable that came from a file was set (its path); others are "the environment". */
	files: Record<string, string>;
}

export const PROCESS_ENVIRONMENT = 'the environment';

/** The source a command-line flag names in messages: "set in the --port flag". */
export const flagSource = (flag: string): string => `the ${flag} flag`;

/** "the environment" or the path of the `.env` file that set `variable`, for error messages. */
export function sourceOf(environment: Environment, variable: string): string {
	return environment.files[variable] ?? PROCESS_ENVIRONMENT;
}

/**
 * The process environment, completed by `<directory>/.env` when that file exists (dotenv syntax,
 * as `node --env-file` and docker compose read it); a variable already set in the environment
 * wins, as with docker compose. The process environment itself is not changed.
 * Throws ConfigError naming the file when it cannot be read.
 */
export function readEnvironment(
	processEnv: NodeJS.ProcessEnv = process.env,
	directory: string = process.cwd(),
): Environment {
	const path = resolve(directory, '.env');
	if (!existsSync(path)) return { values: { ...processEnv }, files: {} };
	let fromFile: Record<string, string>;
	try {
		fromFile = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
	} catch (error) {
		const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
		throw new ConfigError(`cannot read ${path} (${reason})`);
	}
	const values: Record<string, string | undefined> = { ...processEnv };
	const files: Record<string, string> = {};
	for (const [name, value] of Object.entries(fromFile)) {
		if (processEnv[name] !== undefined) continue;
		values[name] = value;
		files[name] = path;
	}
	return { values, files };
}
