import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ConsoleFile {
	body: Buffer;
	contentType: string;
}

const TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.svg': 'image/svg+xml',
};

/**
 * The built console (`npm run build` writes `dist/console/`), found by walking up from this
 * module like sqlDirectory: from `dist/` (the built CLI, the container image) it is `console/`
 * beside the bundle, from `src/` (tests) `dist/console/`. The source folder `console/` has no
 * `app.js`, so it is never taken for the build. Undefined when the console was not built.
 */
export function consoleDirectory(): string | undefined {
	let directory = dirname(fileURLToPath(import.meta.url));
	for (;;) {
		for (const candidate of [join(directory, 'console'), join(directory, 'dist', 'console')]) {
			if (existsSync(join(candidate, 'app.js'))) return candidate;
		}
		const parent = dirname(directory);
		if (parent === directory) return undefined;
		directory = parent;
	}
}

/** Every file of the built console by name (`index.html`, `app.js`, ...), read once at start. */
export function readConsoleFiles(directory: string): Map<string, ConsoleFile> {
	const files = new Map<string, ConsoleFile>();
	for (const name of readdirSync(directory)) {
		const contentType = TYPES[extname(name)];
		if (contentType) files.set(name, { body: readFileSync(join(directory, name)), contentType });
	}
	return files;
}
