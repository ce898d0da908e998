import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config-error.js';
import { resolveMasterKey } from '../crypto/master-key.js';
import type { ToolSearch } from '../storage/postgres-tools.js';

/** Where pg_dump and pg_restore are looked for: this process's PATH, then Debian's layout. */
export const toolSearch = (): ToolSearch => ({
	path: process.env.PATH,
	postgresRoot: '/usr/lib/postgresql',
});

/**
 * The configured master key, for reading a backup. Unlike opening the vault, it never generates a
 * development key: a new random key could open no backup.
 */
export function masterKeyForBackup(config: Config): Buffer {
	const devKey = join(config.dataDir, 'master.key');
	if (!config.masterKeyHex && !existsSync(devKey))
		throw new ConfigError(
			'ENCRYPTION_MASTER_KEY is not set: set the master key the vault had when the backup was made',
		);
	return resolveMasterKey(config).key;
}
