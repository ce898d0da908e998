import { createHash } from 'node:crypto';
import {
	createReadStream,
	createWriteStream,
	openSync,
	readSync,
	closeSync,
	rmSync,
} from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Type, type Static } from 'typebox';
import Value from 'typebox/value';
import { backupKeyCheck, backupSeal, sameHex } from '../../crypto/backup-key-check.js';
import { putInPlace, temporaryBeside } from './backup-output.js';

/**
 * A backup file: three text lines, then the payload.
 *   otobot-vault backup 1
 *   <header, one line of JSON (BackupHeader)>
 *   <seal: hex HMAC of the header line and the payload's SHA-256 (crypto/backup-key-check.ts)>
 *   <payload: pg_dump's custom format (PostgreSQL) or PGlite's data-directory tar.gz>
 */
const MAGIC = 'otobot-vault backup 1';
/** The three lines are read from the first bytes; a header this long is not one the vault wrote. */
const HEAD_LIMIT = 64 * 1024;

export const BackupHeader = Type.Object(
	{
		kind: Type.Union([Type.Literal('postgres'), Type.Literal('pglite')]),
		created_at: Type.String({ maxLength: 40 }),
		vault_version: Type.String({ maxLength: 40 }),
		/** PostgreSQL: the schema dumped (the connection's current schema). */
		schema: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]*$', maxLength: 63 })),
		/** The schema_migrations versions of the backed-up database, ascending. */
		migrations: Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 10_000 }),
		/** crypto/backup-key-check.ts: which master key the data keys in the payload open with. */
		key_check: Type.String({ pattern: '^[0-9a-f]{64}$' }),
		payload_bytes: Type.Integer({ minimum: 0 }),
		payload_sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
	},
	{ additionalProperties: false },
);
export type BackupHeader = Static<typeof BackupHeader>;

/** A file that is not a backup of this format, or whose header or payload was changed. */
export class BackupUnreadable extends Error {
	constructor(reason: string) {
		super(reason);
		this.name = 'BackupUnreadable';
	}
}

/** The configured master key is not the one the backup was made under (its key check differs). */
export class BackupKeyMismatch extends Error {
	constructor() {
		super(
			'Key check FAILED: the configured ENCRYPTION_MASTER_KEY is not the master key this backup ' +
				'was made under (the key check value in the backup differs). Set the key the vault had ' +
				'when the backup was made; nothing was restored or decrypted.',
		);
		this.name = 'BackupKeyMismatch';
	}
}

export interface OpenedBackup {
	header: BackupHeader;
	/** Where the payload starts in the file, in bytes. */
	payloadOffset: number;
}

async function sha256OfFile(path: string, start = 0): Promise<{ hex: string; bytes: number }> {
	const hash = createHash('sha256');
	let bytes = 0;
	for await (const chunk of createReadStream(path, { start }) as AsyncIterable<Buffer>) {
		hash.update(chunk);
		bytes += chunk.length;
	}
	return { hex: hash.digest('hex'), bytes };
}

/**
 * Writes `output` (mode 0600, by rename: never half a file) from the payload file at
 * `payloadPath`, sealed under `masterKey` (32 bytes). The master key itself is not written. The
 * file is written to a new temporary file beside `output` (created exclusively, mode 0600) and
 * put in place at the end; an existing `output` is replaced only with `replace`, otherwise
 * BackupOutputExists (backup-output.ts).
 */
export async function writeBackupFile(
	output: string,
	payloadPath: string,
	fields: Omit<BackupHeader, 'key_check' | 'payload_bytes' | 'payload_sha256'>,
	masterKey: Uint8Array,
	options: { replace: boolean },
): Promise<BackupHeader> {
	const digest = await sha256OfFile(payloadPath);
	const header: BackupHeader = {
		...fields,
		key_check: backupKeyCheck(masterKey),
		payload_bytes: digest.bytes,
		payload_sha256: digest.hex,
	};
	const line = JSON.stringify(header);
	const partial = temporaryBeside(output);
	try {
		const out = createWriteStream(partial, { mode: 0o600, flags: 'wx' });
		out.write(`${MAGIC}\n${line}\n${backupSeal(masterKey, line, digest.hex)}\n`);
		await pipeline(createReadStream(payloadPath), out);
		putInPlace(partial, output, options.replace);
	} finally {
		rmSync(partial, { force: true });
	}
	return header;
}

function readHead(path: string): Buffer {
	const buffer = Buffer.alloc(HEAD_LIMIT);
	let fd: number;
	try {
		fd = openSync(path, 'r');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
		throw new BackupUnreadable(`cannot read ${path} (${code})`);
	}
	try {
		return buffer.subarray(0, readSync(fd, buffer, 0, HEAD_LIMIT, 0));
	} finally {
		closeSync(fd);
	}
}

/**
 * Reads a backup's header and checks, in this order: the format, the key check against
 * `masterKey` (BackupKeyMismatch: the wrong key, told before anything else is tried), then the
 * seal and the payload's length and SHA-256 (BackupUnreadable: the file was changed or cut).
 */
export async function openBackupFile(path: string, masterKey: Uint8Array): Promise<OpenedBackup> {
	const head = readHead(path);
	const lines: string[] = [];
	let at = 0;
	for (let n = 0; n < 3; n += 1) {
		const end = head.indexOf(0x0a, at);
		if (end < 0) throw new BackupUnreadable(`${path} is not an otobot-vault backup (no header)`);
		lines.push(head.subarray(at, end).toString('utf8'));
		at = end + 1;
	}
	const [magic, line, seal] = lines as [string, string, string];
	if (magic !== MAGIC) throw new BackupUnreadable(`${path} is not an otobot-vault backup`);
	let header: unknown;
	try {
		header = JSON.parse(line);
	} catch {
		throw new BackupUnreadable(`${path}: the backup header is not JSON`);
	}
	if (!Value.Check(BackupHeader, header))
		throw new BackupUnreadable(`${path}: the backup header is not one this vault reads`);
	if (!sameHex(header.key_check, backupKeyCheck(masterKey))) throw new BackupKeyMismatch();
	if (!sameHex(seal, backupSeal(masterKey, line, header.payload_sha256)))
		throw new BackupUnreadable(`${path}: the backup header was changed after it was written`);
	const digest = await sha256OfFile(path, at);
	if (digest.bytes !== header.payload_bytes || digest.hex !== header.payload_sha256)
		throw new BackupUnreadable(
			`${path}: the backup is damaged (${digest.bytes} of ${header.payload_bytes} payload bytes, ` +
				'SHA-256 differs): it was cut short or changed after it was written',
		);
	return { header, payloadOffset: at };
}

/** The payload's bytes as a stream (pg_restore's standard input, PGlite's tar). */
export const payloadStream = (path: string, backup: OpenedBackup) =>
	createReadStream(path, { start: backup.payloadOffset });
