import { createReadStream } from 'node:fs';
import type { Queryable } from '../storage/database.js';
import { auditStore } from '../storage/audit-store.js';
import { auditRetentionStore } from '../storage/audit-retention-store.js';
import type { AuditArchiveHeader } from './audit-archive.js';
import type { AuditChainKeyLookup } from './audit-chain-keys.js';
import { chainLinkProblem, type ChainProblem, type ChainedRow } from './audit-chain-verify.js';

/**
 * A ChainProblem of a row in the file, or: not_an_archive (a line is not what an archive
 * writes), unknown_checkpoint (a checkpoint the header names is not one of this vault's, or has
 * another hash), short (the rows end before the checkpoint).
 */
export type ArchiveProblem = ChainProblem | 'not_an_archive' | 'unknown_checkpoint' | 'short';

export interface ArchiveVerdict {
	ok: boolean;
	/** Rows that linked before the end or the first problem. */
	rows: number;
	/** The checkpoint the archive ends at, as its header names it. */
	checkpointId?: number;
	/** The first problem: the row id for a row's problem, else the line number. */
	problem?: { kind: ArchiveProblem; id?: number; line?: number };
}

const HASH = /^[0-9a-f]{64}$/;
const isId = (value: unknown): value is number => Number.isSafeInteger(value) && Number(value) >= 0;
const isMark = (value: unknown): value is { id: number; hash: string } => {
	const mark = value as { id?: unknown; hash?: unknown } | null;
	return (
		typeof mark === 'object' &&
		mark !== null &&
		isId(mark.id) &&
		typeof mark.hash === 'string' &&
		(mark.id === 0 ? mark.hash === '' : HASH.test(mark.hash))
	);
};

function parseLine(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}

function isHeader(value: unknown): value is AuditArchiveHeader {
	const header = value as Partial<AuditArchiveHeader> | undefined;
	return (
		header?.otobot_vault_audit_archive === 1 &&
		isMark(header.after_checkpoint) &&
		isMark(header.checkpoint) &&
		isId(header.rows)
	);
}

function isChainedRow(value: unknown): value is Omit<ChainedRow, 'prevHashHex' | 'hashHex'> & {
	prev_hash: string;
	hash: string;
} {
	const row = value as Record<string, unknown> | undefined;
	return (
		typeof row === 'object' &&
		row !== null &&
		isId(row.id) &&
		typeof row.prev_hash === 'string' &&
		typeof row.hash === 'string' &&
		(row.chain_key_version === null || Number.isSafeInteger(row.chain_key_version))
	);
}

/**
 * Checks an archive written by `audit archive` (audit-archive.ts) against this vault: both
 * checkpoints its header names must be in audit_checkpoints with the same hashes, and the rows in
 * the file must chain (chainLinkProblem, the verifier's own rule, with `keys`) from the first to
 * the last checkpoint's id and hash. Throws only when the file cannot be read.
 */
export async function verifyAuditArchive(
	db: Queryable,
	keys: AuditChainKeyLookup,
	file: string,
): Promise<ArchiveVerdict> {
	const retention = auditRetentionStore(db);
	const keyedFrom = (await auditStore(db).readHead())?.keyed_from ?? 1;
	const lines = jsonLinesOf(file);
	let header: AuditArchiveHeader | undefined;
	let previous = { id: 0, hash: '' };
	let rows = 0;
	let line = 0;
	try {
		for await (const text of lines) {
			line += 1;
			const value = parseLine(text);
			if (!header) {
				if (!isHeader(value)) return { ok: false, rows, problem: { kind: 'not_an_archive', line } };
				header = value;
				const known = async (mark: { id: number; hash: string }) =>
					mark.id === 0 ||
					(await retention
						.checkpointAt(mark.id)
						.then(
							(found) =>
								found !== undefined && Buffer.from(found.hash).toString('hex') === mark.hash,
						));
				if (!(await known(header.checkpoint)) || !(await known(header.after_checkpoint))) {
					return {
						ok: false,
						rows,
						checkpointId: header.checkpoint.id,
						problem: { kind: 'unknown_checkpoint', line },
					};
				}
				previous = header.after_checkpoint;
				continue;
			}
			const checkpointId = header.checkpoint.id;
			if (!isChainedRow(value))
				return { ok: false, rows, checkpointId, problem: { kind: 'not_an_archive', line } };
			const row = { ...value, prevHashHex: value.prev_hash, hashHex: value.hash };
			const problem = chainLinkProblem(row, previous, keyedFrom, keys);
			if (problem)
				return { ok: false, rows, checkpointId, problem: { kind: problem, id: row.id, line } };
			previous = { id: row.id, hash: row.hashHex };
			rows += 1;
		}
	} finally {
		await lines.return(undefined);
	}
	if (!header) return { ok: false, rows, problem: { kind: 'not_an_archive', line: 1 } };
	const complete =
		previous.id === header.checkpoint.id &&
		previous.hash === header.checkpoint.hash &&
		rows === header.rows;
	return complete
		? { ok: true, rows, checkpointId: header.checkpoint.id }
		: { ok: false, rows, checkpointId: header.checkpoint.id, problem: { kind: 'short', line } };
}

/**
 * The lines of a JSON Lines file, split at LF only. (node:readline also ends a line at U+2028,
 * U+2029 and a lone CR; JSON.stringify leaves U+2028 and U+2029 raw inside strings, so a row
 * holding one would be cut in two.)
 */
async function* jsonLinesOf(file: string): AsyncGenerator<string> {
	let rest = '';
	for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
		const parts = (rest + (chunk as string)).split('\n');
		rest = parts.pop()!;
		yield* parts;
	}
	if (rest !== '') yield rest;
}
