import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's `sql/` folder. Found by walking up from this module, so the same lookup works
 * from `src/` (tests), from `dist/` (the built CLI) and in the container image.
 */
export function sqlDirectory(): string {
	let directory = dirname(fileURLToPath(import.meta.url));
	for (;;) {
		const candidate = join(directory, 'sql', 'migrations');
		if (existsSync(candidate)) return join(directory, 'sql');
		const parent = dirname(directory);
		if (parent === directory)
			throw new Error('sql/migrations not found above the vault-server code');
		directory = parent;
	}
}

export const migrationsDirectory = () => join(sqlDirectory(), 'migrations');
