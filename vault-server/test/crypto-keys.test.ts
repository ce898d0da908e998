import { createHmac, randomBytes } from 'node:crypto';
import {
	existsSync,
	mkdtempSync,
	readFileSync,
	statSync,
	symlinkSync,
	writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../src/config/config.js';
import { Secret } from '../src/config/secret.js';
import { deriveAuditChainKey, hmacAuditRow } from '../src/crypto/audit-chain-key.js';
import { Keyring } from '../src/crypto/keyring.js';
import { startKeyringReload } from '../src/crypto/keyring-reload.js';
import { parseMasterKey, resolveMasterKey } from '../src/crypto/master-key.js';
import { WAIT_BOUND } from './helpers/bounds.js';
import { keyTable } from './helpers/key-table.js';

const FORM =
	'must be 64 hexadecimal characters (32 bytes), e.g. the output of `openssl rand -hex 32`';
const hex = 'a1'.repeat(16) + 'B2'.repeat(16);
const dataDir = () => mkdtempSync(join(tmpdir(), 'otobot-master-key-'));

/** The error `run` throws. */
function thrownBy(run: () => unknown): unknown {
	try {
		run();
	} catch (error) {
		return error;
	}
	throw new Error('expected an error');
}

describe('master key parsing', () => {
	it('reads 64 hex characters of either case, around whitespace, as 32 bytes', () => {
		const key = parseMasterKey(new Secret(` ${hex}\n`));
		expect(key.toString('hex')).toBe(hex.toLowerCase());
		expect(key.length).toBe(32);
	});

	it('refuses other lengths, non-hex and base64 with the form and the variable, not the value', () => {
		const base64 = randomBytes(32).toString('base64');
		for (const bad of [
			hex.slice(1),
			`${hex}0`,
			`zz${hex}`,
			`${hex}zz`,
			`${hex.slice(2)}g0`,
			base64,
			'',
			`${hex.slice(0, 32)} ${hex.slice(32)}`,
		]) {
			const error = thrownBy(() => parseMasterKey(new Secret(bad)));
			expect(error).toBeInstanceOf(ConfigError);
			expect((error as Error).message).toBe(`ENCRYPTION_MASTER_KEY ${FORM}`);
		}
		const previous = thrownBy(() =>
			parseMasterKey(new Secret(base64), 'ENCRYPTION_MASTER_KEY_PREVIOUS'),
		) as Error;
		expect(previous.message).toBe(`ENCRYPTION_MASTER_KEY_PREVIOUS ${FORM}`);
		expect(previous.message).not.toContain(base64);
	});
});

describe('master key source', () => {
	it('takes ENCRYPTION_MASTER_KEY when set, and writes no key file', () => {
		const dir = dataDir();
		const source = resolveMasterKey({
			masterKeyHex: new Secret(hex),
			production: true,
			dataDir: dir,
		});
		expect(source).toEqual({ key: Buffer.from(hex, 'hex') });
		expect(existsSync(join(dir, 'master.key'))).toBe(false);
	});

	it('requires it in production', () => {
		const dir = dataDir();
		const error = thrownBy(() =>
			resolveMasterKey({ masterKeyHex: undefined, production: true, dataDir: dir }),
		);
		expect(error).toBeInstanceOf(ConfigError);
		expect((error as Error).message).toBe(
			`ENCRYPTION_MASTER_KEY is not set (NODE_ENV=production). ENCRYPTION_MASTER_KEY ${FORM}`,
		);
		expect(existsSync(join(dir, 'master.key'))).toBe(false);
	});

	it('outside production creates a 0600 key file in a new 0700 folder, then reads it back', () => {
		const dir = join(dataDir(), 'nested', 'data');
		const created = resolveMasterKey({ masterKeyHex: undefined, production: false, dataDir: dir });
		const path = join(dir, 'master.key');
		expect(created.devKeyFile).toEqual({ path, created: true });
		expect(created.key.length).toBe(32);
		expect(readFileSync(path, 'utf8')).toBe(`${created.key.toString('hex')}\n`);
		expect(statSync(path).mode & 0o777).toBe(0o600);
		expect(statSync(dir).mode & 0o777).toBe(0o700);

		const again = resolveMasterKey({ masterKeyHex: undefined, production: false, dataDir: dir });
		expect(again.devKeyFile).toEqual({ path, created: false });
		expect(again.key.equals(created.key)).toBe(true);
	});

	it('never writes a new key through a link planted where the key file goes', () => {
		const dir = dataDir();
		const target = join(dir, 'elsewhere');
		symlinkSync(target, join(dir, 'master.key'));
		expect(() =>
			resolveMasterKey({ masterKeyHex: undefined, production: false, dataDir: dir }),
		).toThrow(/EEXIST/);
		expect(existsSync(target)).toBe(false);
	});

	it('reads a key file around whitespace and refuses one that is not 64 hex', () => {
		const dir = dataDir();
		const path = join(dir, 'master.key');
		const value = 'c3'.repeat(32);
		writeFileSync(path, `  ${value} \n\n`);
		const source = resolveMasterKey({ masterKeyHex: undefined, production: false, dataDir: dir });
		expect(source.key.toString('hex')).toBe(value);
		for (const bad of [value.slice(2), `x${value}`, `${value}x`, `${value}00`]) {
			writeFileSync(path, bad);
			const error = thrownBy(() =>
				resolveMasterKey({ masterKeyHex: undefined, production: false, dataDir: dir }),
			);
			expect(error).toBeInstanceOf(ConfigError);
			expect((error as Error).message).toBe(`${path} is not a 64-hex master key`);
		}
	});
});

/** HKDF-SHA-256 per RFC 5869 section 2.2-2.3, written out for one 32-byte block. */
function rfc5869(ikm: Uint8Array, info: string): Buffer {
	const prk = createHmac('sha256', Buffer.alloc(32)).update(ikm).digest();
	return createHmac('sha256', prk)
		.update(Buffer.concat([Buffer.from(info, 'utf8'), Buffer.from([1])]))
		.digest();
}

describe('audit chain key', () => {
	it('is HKDF-SHA-256 of the data key, empty salt, the v1 label, 32 bytes', () => {
		const dataKey = randomBytes(32);
		const chainKey = deriveAuditChainKey(dataKey);
		expect(chainKey.length).toBe(32);
		expect(chainKey.equals(rfc5869(dataKey, 'otobot-vault audit chain v1'))).toBe(true);
		expect(deriveAuditChainKey(Buffer.from(dataKey)).equals(chainKey)).toBe(true);
		expect(deriveAuditChainKey(randomBytes(32)).equals(chainKey)).toBe(false);
		expect(chainKey.equals(dataKey)).toBe(false);
	});

	it('hashes a row as HMAC-SHA-256 of previous hash, id, key version and content', () => {
		const key = randomBytes(32);
		const expected = createHmac('sha256', key).update('ab12\n42\n3\n{"a":1}').digest('hex');
		expect(hmacAuditRow(key, 3, 'ab12', 42, '{"a":1}')).toBe(expected);
		expect(hmacAuditRow(key, 4, 'ab12', 42, '{"a":1}')).not.toBe(expected);
	});
});

/** A logger whose info and error calls the test reads. */
function recordingLog() {
	const log = { info: vi.fn(), error: vi.fn() };
	return { log, asLogger: log as unknown as FastifyBaseLogger };
}

describe('keyring reload', () => {
	const masterKey = randomBytes(32);

	it('picks up a rotation made elsewhere and logs the version change', async () => {
		const table = keyTable(masterKey, [{ version: 1, status: 'active' }]);
		const keyring = await Keyring.open(table.loader, masterKey);
		const { log, asLogger } = recordingLog();
		const reload = startKeyringReload(keyring, 10, asLogger);
		try {
			const reads = table.counts.reads;
			await vi.waitFor(() => expect(table.counts.reads).toBeGreaterThan(reads + 1), WAIT_BOUND);
			expect(log.info).not.toHaveBeenCalled();
			table.rotateTo(2);
			await vi.waitFor(() => expect(keyring.activeVersion).toBe(2), WAIT_BOUND);
			await vi.waitFor(
				() =>
					expect(log.info).toHaveBeenCalledWith(
						{ from: 1, to: 2 },
						'active data key version changed',
					),
				WAIT_BOUND,
			);
			expect(log.info).toHaveBeenCalledTimes(1);
			expect(log.error).not.toHaveBeenCalled();
		} finally {
			await reload.stop();
		}
	});

	it('keeps the keys it had when a reload fails, logs it, and recovers', async () => {
		const table = keyTable(masterKey, [{ version: 1, status: 'active' }]);
		const keyring = await Keyring.open(table.loader, masterKey);
		const sealed = keyring.encrypt('token', 'c');
		const { log, asLogger } = recordingLog();
		const reload = startKeyringReload(keyring, 10, asLogger);
		try {
			table.failReads(true);
			await vi.waitFor(() => expect(log.error).toHaveBeenCalled(), WAIT_BOUND);
			const [context, message] = log.error.mock.calls[0]!;
			expect(message).toBe('data key reload failed; keeping the keys loaded before');
			expect((context as { err: Error }).err.message).toBe('database unavailable');
			expect(keyring.activeVersion).toBe(1);
			expect(log.info).not.toHaveBeenCalled();
			table.rotateTo(2);
			table.failReads(false);
			await vi.waitFor(() => expect(keyring.activeVersion).toBe(2), WAIT_BOUND);
			expect(await keyring.decryptText(sealed.ciphertext, 'c')).toBe('token');
		} finally {
			await reload.stop();
		}
	});

	it('reads no more after stop, and stop waits for a reload under way', async () => {
		const table = keyTable(masterKey, [{ version: 1, status: 'active' }]);
		const keyring = await Keyring.open(table.loader, masterKey);
		const reload = startKeyringReload(keyring, 10, recordingLog().asLogger);
		const reads = table.counts.reads;
		const release = table.holdReads();
		await vi.waitFor(() => expect(table.counts.reads).toBeGreaterThan(reads), WAIT_BOUND);
		let stopped = false;
		const stopping = reload.stop().then(() => {
			stopped = true;
		});
		await new Promise((resolve) => setImmediate(resolve));
		expect(stopped).toBe(false);
		table.rotateTo(2);
		release();
		await stopping;
		expect(keyring.activeVersion).toBe(2);
		const afterStop = table.counts.reads;

		// a second reloader of the same period ticks several times; the stopped one not once more
		const other = keyTable(masterKey, [{ version: 1, status: 'active' }]);
		const otherReload = startKeyringReload(
			await Keyring.open(other.loader, masterKey),
			10,
			recordingLog().asLogger,
		);
		const otherReads = other.counts.reads;
		await vi.waitFor(() => expect(other.counts.reads).toBeGreaterThan(otherReads + 3), WAIT_BOUND);
		await otherReload.stop();
		expect(table.counts.reads).toBe(afterStop);
	});
});
