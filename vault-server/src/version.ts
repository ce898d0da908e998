import { readFileSync } from 'node:fs';

/** The vault's version, from its package.json (found relative to src/ and dist/ alike). */
function readVersion(): string {
	for (const path of ['../package.json', '../../package.json']) {
		try {
			const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
				name?: string;
				version?: string;
			};
			if (pkg.name === '@otobot/vault-server' && pkg.version) return pkg.version;
		} catch {
			// not at this depth
		}
	}
	return '0.0.0';
}

export const VERSION = readVersion();
