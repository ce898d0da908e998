import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Queryable } from '../storage/database.js';
import { auditStore, type AuditRow } from '../storage/audit-store.js';
import { auditRetentionStore } from '../storage/audit-retention-store.js';

/** The first line of an archive: what it holds and the checkpoints it links between. */
export interface AuditArchiveHeader {
	otobot_vault_audit_archive: 1;
	/** The month-aligned cut (ISO 8601, UTC): the archive holds every row that occurred before it. */
	before: string;
	/** The checkpoint the first row links to (id 0 and hash '' for the chain's start). */
	after_checkpoint: { id: number; hash: string };
	/** The checkpoint removal left: the last row's id and hash. */
	checkpoint: { id: number; hash: string };
	rows: number;
}

/** What an archive run did. `file` is unset when no row occurred before the cut. */
export interface AuditArchiveOutcome {
	cut: Date;
	rows: number;
	removed: number;
	file?: string;
	checkpoint?: { id: number; hash: string };
}

/** Why an archive stopped before removing anything; the message says what to do. */
export class AuditArchiveRefused extends Error {
	override name = 'AuditArchiveRefused';
}

const PAGE = 2000;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The first instant (UTC) of the month `date` falls in: archives cut whole months. */
export function monthCut(date: Date): Date {
	return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
}

/** One archive line: the row as stored, hashes in hex. */
export function archiveLine(row: AuditRow): string {
	return `${JSON.stringify({ ...row, prev_hash: hex(row.prev_hash), hash: hex(row.hash) })}\n`;
}

/**
 * Archives the rows that occurred before the month of `before` (UTC), then removes them.
 * The rows (every id from the newest checkpoint up to the last row before the cut, so the chain
 * has no gap) are written as JSON Lines after an AuditArchiveHeader to a temporary file, fsynced,
 * linked to `outputFor(firstId, lastId)` (never over an existing file; one with the very same bytes,
 * left by a run stopped before the removal, is taken as written) and the directory fsynced;
 * only then audit_remove_before drops the partitions and leaves the checkpoint, refusing if the
 * rows are not exactly the archived ones. Throws AuditArchiveRefused (nothing removed) when another
 * file is there or the rows changed while being written (another process archived them).
 */
export async function archiveAuditLog(
	db: Queryable,
	options: { before: Date; outputFor: (firstId: number, lastId: number) => string },
): Promise<AuditArchiveOutcome> {
	const cut = monthCut(options.before);
	const store = auditStore(db);
	const retention = auditRetentionStore(db);
	const lastRow = await retention.lastRowBefore(cut);
	if (!lastRow) return { cut, rows: 0, removed: 0 };
	const after = await store.latestCheckpoint();
	const header: AuditArchiveHeader = {
		otobot_vault_audit_archive: 1,
		before: cut.toISOString(),
		after_checkpoint: { id: after?.id ?? 0, hash: after ? hex(after.hash) : '' },
		checkpoint: { id: lastRow.id, hash: hex(lastRow.hash) },
		rows: lastRow.id - (after?.id ?? 0),
	};
	const file = options.outputFor(header.after_checkpoint.id + 1, lastRow.id);
	await writeArchive(db, header, file);
	const removed = await retention.removeThrough(lastRow.id, header.rows, header.checkpoint.hash);
	return { cut, rows: header.rows, removed, file, checkpoint: header.checkpoint };
}

/** Writes and fsyncs the archive `header` describes to `file`; removes the partial file on error. */
async function writeArchive(db: Queryable, header: AuditArchiveHeader, file: string) {
	const store = auditStore(db);
	const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
	const handle = await open(temporary, 'wx', 0o600);
	let previousId = header.after_checkpoint.id;
	let previousHash = header.after_checkpoint.hash;
	try {
		await handle.write(`${JSON.stringify(header)}\n`);
		while (previousId < header.checkpoint.id) {
			const page = await store.page(previousId, Math.min(PAGE, header.checkpoint.id - previousId));
			// a gap (rows removed meanwhile, or deleted by hand) stops the archive before the file is kept
			if (page.length === 0 || page.some((row, i) => row.id !== previousId + 1 + i)) break;
			await handle.write(page.map(archiveLine).join(''));
			previousId = page.at(-1)!.id;
			previousHash = hex(page.at(-1)!.hash);
		}
		if (previousId !== header.checkpoint.id || previousHash !== header.checkpoint.hash) {
			throw new AuditArchiveRefused(
				`the audit rows up to ${header.checkpoint.id} changed while being archived (another ` +
					'process archiving them?): nothing was removed; run the archive again',
			);
		}
		await handle.sync();
		await handle.close();
		await link(temporary, file).catch(async (error: NodeJS.ErrnoException) => {
			if (error.code !== 'EEXIST') throw error;
			// the same archive, left by a run stopped before the removal or by another process: keep it
			if (!(await sameBytes(temporary, file))) {
				throw new AuditArchiveRefused(`${file} already exists: nothing was removed`);
			}
		});
		await unlink(temporary);
		await fsyncDirectory(dirname(file));
	} catch (error) {
		await handle.close().catch(() => {});
		await unlink(temporary).catch(() => {});
		throw error;
	}
}

async function sha256Of(file: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

async function sameBytes(a: string, b: string): Promise<boolean> {
	if ((await stat(a)).size !== (await stat(b)).size) return false;
	return (await sha256Of(a)) === (await sha256Of(b));
}

async function fsyncDirectory(directory: string) {
	const handle = await open(directory, 'r');
	try {
		await handle.sync();
	} finally {
		await handle.close();
	}
}
