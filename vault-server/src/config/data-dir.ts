import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Why VAULT_DATA_DIR cannot serve as the data folder, in one line naming it and `origin` ("set
 * in the environment", "the default"): a file where the folder should be, or (when `writes`: the
 * vault will write there) a folder this user cannot write or create. Undefined when it can serve.
 * Nothing is created: a start refused for another reason leaves no folder behind.
 */
export function dataDirProblem(dir: string, origin: string, writes: boolean): string | undefined {
	const variable = `VAULT_DATA_DIR ${dir} (${origin})`;
	let existing = dir;
	while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
	let isFolder: boolean;
	try {
		isFolder = statSync(existing).isDirectory();
	} catch (error) {
		return `${variable} cannot be read (${(error as NodeJS.ErrnoException).code})`;
	}
	if (!isFolder) {
		return existing === dir
			? `${variable} is not a folder: set it to a folder, or to a path where one can be created`
			: `${variable} cannot be created: ${existing} is a file, not a folder`;
	}
	if (!writes) return undefined;
	try {
		accessSync(existing, constants.W_OK | constants.X_OK);
	} catch {
		return existing === dir
			? `${variable} is not writable by this user: make it so, or choose another folder`
			: `${variable} cannot be created: ${existing} is not writable by this user`;
	}
	return undefined;
}

/** Whether the vault will write in its data folder: the embedded database, or a generated key. */
export function writesDataDir(config: {
	dataDir: string;
	databaseUrl: unknown;
	masterKeyHex: unknown;
}): boolean {
	if (config.databaseUrl === undefined) return true;
	return config.masterKeyHex === undefined && !existsSync(join(config.dataDir, 'master.key'));
}
