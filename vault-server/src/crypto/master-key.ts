import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config.js';
import type { Secret } from '../config/secret.js';

export const MASTER_KEY_FORM =
	'ENCRYPTION_MASTER_KEY must be 64 hexadecimal characters (32 bytes), e.g. the output of `openssl rand -hex 32`';

/** The 32-byte key of a 64-hex variable; the error names the variable, never its value. */
export function parseMasterKey(hex: Secret, variable = 'ENCRYPTION_MASTER_KEY'): Buffer {
	const value = hex.reveal().trim();
	if (!/^[0-9a-fA-F]{64}$/.test(value)) {
		throw new ConfigError(MASTER_KEY_FORM.replace('ENCRYPTION_MASTER_KEY', variable));
	}
	return Buffer.from(value, 'hex');
}

export interface MasterKeySource {
	key: Buffer;
	/** Set when the key comes from (or was just written to) the development key file. */
	devKeyFile?: { path: string; created: boolean };
}

/** A master key as planMasterKey found it; `save` writes a generated one to its file. */
export interface PlannedMasterKey extends MasterKeySource {
	/** Set when the key was generated and is not on disk yet: writes it (mode 0600). */
	save?: () => void;
}

/**
 * The master key from ENCRYPTION_MASTER_KEY. In production it is required. Elsewhere, without it,
 * the vault keeps a generated key in its data folder (mode 0600): convenient, and insecure.
 */
export function resolveMasterKey(options: {
	masterKeyHex: Secret | undefined;
	production: boolean;
	dataDir: string;
}): MasterKeySource {
	const { save, ...source } = planMasterKey(options);
	save?.();
	return source;
}

/**
 * As resolveMasterKey, but a generated key is only written when the caller calls `save`: once the
 * database has answered, so a start that fails on it leaves no key file behind.
 */
export function planMasterKey(options: {
	masterKeyHex: Secret | undefined;
	production: boolean;
	dataDir: string;
}): PlannedMasterKey {
	if (options.masterKeyHex) return { key: parseMasterKey(options.masterKeyHex) };
	if (options.production) {
		throw new ConfigError(
			`ENCRYPTION_MASTER_KEY is not set (NODE_ENV=production). ${MASTER_KEY_FORM}`,
		);
	}
	const path = join(options.dataDir, 'master.key');
	if (existsSync(path)) {
		const hex = readFileSync(path, 'utf8').trim();
		if (!/^[0-9a-f]{64}$/.test(hex)) throw new ConfigError(`${path} is not a 64-hex master key`);
		return { key: Buffer.from(hex, 'hex'), devKeyFile: { path, created: false } };
	}
	const key = randomBytes(32);
	const save = () => {
		mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
		writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
	};
	return { key, devKeyFile: { path, created: true }, save };
}
