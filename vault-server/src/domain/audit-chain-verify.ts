import { hmacAuditRow } from '../crypto/audit-chain-key.js';
import type { Queryable } from '../storage/database.js';
import { auditStore, type AuditEntry, type AuditRow } from '../storage/audit-store.js';
import { auditContent, hashAuditRow } from './audit-chain.js';
import type { AuditChainKeyLookup } from './audit-chain-keys.js';

/**
 * edited: the row's hash does not match its content under its key; unkeyed: an unkeyed SHA-256
 * row where the chain is keyed (rewritten by someone without the master key); deleted: the link
 * to the row before is broken; head_mismatch: the database's head is not the last row;
 * truncated: the exported head given to check differs from the row at its id; beyond_end: the
 * exported head's id is past the chain's last row (the problem's id is the first missing row), as
 * when the newest rows were deleted and the head moved back.
 */
export type ChainProblem =
	| 'edited'
	| 'unkeyed'
	| 'deleted'
	| 'head_mismatch'
	| 'truncated'
	| 'beyond_end';

/** A head kept outside the database (`otobot-vault audit head`): the id and the hex hash. */
export interface ExportedHead {
	id: number;
	hash: string;
}

export interface ChainVerdict {
	ok: boolean;
	rows: number;
	/** The first row found wrong, with what is wrong with it. */
	problem?: { id: number; kind: ChainProblem };
	headHash: string;
	/** The newest row's id (0 for an empty log). */
	headId: number;
	/** The retention checkpoint the walk started after, if any. */
	checkpointId?: number;
	/** Whether `expectHead` was compared (false when retention removed it). */
	expectedHeadChecked?: boolean;
	/** Rows verified with the unkeyed SHA-256 of before migration 0008 (weaker: say so). */
	unkeyedRows: number;
}

const PAGE = 2000;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The hash a row should have: SHA-256 before the keyed chain, HMAC under its key after. */
function expectedHash(
	row: ChainedRow,
	prev: string,
	keys: AuditChainKeyLookup,
): string | undefined {
	if (row.chain_key_version === null) return hashAuditRow(prev, row);
	const key = keys(row.chain_key_version);
	return key && hmacAuditRow(key, row.chain_key_version, prev, row.id, auditContent(row));
}

/** A row as the chain links it: its content, id, key version, and both hashes in hex. */
export type ChainedRow = AuditEntry & {
	id: number;
	chain_key_version: number | null;
	prevHashHex: string;
	hashHex: string;
};

/**
 * What is wrong with `row` as the row after `previous` (id and hex hash) in a chain keyed from id
 * `keyedFrom`, or undefined when it links and its hash is right. The log and an archive
 * (audit-archive-verify.ts) are checked by this one rule.
 */
export function chainLinkProblem(
	row: ChainedRow,
	previous: { id: number; hash: string },
	keyedFrom: number,
	keys: AuditChainKeyLookup,
): ChainProblem | undefined {
	if (row.id !== previous.id + 1 || row.prevHashHex !== previous.hash) return 'deleted';
	if (row.chain_key_version === null && row.id >= keyedFrom) return 'unkeyed';
	if (expectedHash(row, row.prevHashHex, keys) !== row.hashHex) return 'edited';
	return undefined;
}

/** A stored row in the form chainLinkProblem takes. */
export const chainedRow = (row: AuditRow): ChainedRow => ({
	...row,
	prevHashHex: hex(row.prev_hash),
	hashHex: hex(row.hash),
});

/**
 * Walks the log in chain order from the newest retention checkpoint and recomputes every hash
 * (the keyed ones with `keys`, loadAuditChainKeys). With `expectHead` (a head exported earlier),
 * a row missing or different at that id is reported as truncated.
 */
export async function verifyAuditChain(
	db: Queryable,
	keys: AuditChainKeyLookup,
	expectHead?: ExportedHead,
): Promise<ChainVerdict> {
	const store = auditStore(db);
	const head = await store.readHead();
	const checkpoint = await store.latestCheckpoint();
	const keyedFrom = head?.keyed_from ?? 1;
	let previousId = checkpoint?.id ?? 0;
	let previousHash = checkpoint ? hex(checkpoint.hash) : '';
	let rows = 0;
	let unkeyedRows = 0;
	let expectedHeadChecked: boolean | undefined;
	function fail(id: number, kind: ChainProblem): ChainVerdict {
		return {
			ok: false,
			rows,
			problem: { id, kind },
			headHash: previousHash,
			headId: previousId,
			checkpointId: checkpoint?.id,
			unkeyedRows,
		};
	}
	// an exported head at or before the checkpoint: only the checkpoint itself can be compared
	if (expectHead && expectHead.id <= previousId) {
		expectedHeadChecked = expectHead.id === previousId && expectHead.hash === previousHash;
		if (!expectedHeadChecked && expectHead.id === previousId) {
			return fail(expectHead.id, 'truncated');
		}
	}
	for (;;) {
		const page = await store.page(previousId, PAGE);
		for (const row of page) {
			const stored = hex(row.hash);
			const problem = chainLinkProblem(
				chainedRow(row),
				{ id: previousId, hash: previousHash },
				keyedFrom,
				keys,
			);
			if (problem) return fail(row.id, problem);
			if (expectHead?.id === row.id) {
				if (expectHead.hash !== stored) return fail(row.id, 'truncated');
				expectedHeadChecked = true;
			}
			previousId = row.id;
			previousHash = stored;
			rows += 1;
			if (row.chain_key_version === null) unkeyedRows += 1;
		}
		if (page.length < PAGE) break;
	}
	if (expectHead && expectHead.id > previousId) return fail(previousId + 1, 'beyond_end');
	const headHash = head ? hex(head.last_hash) : '';
	if (!head || head.last_id !== previousId || headHash !== previousHash) {
		return fail(previousId + 1, 'head_mismatch');
	}
	return {
		ok: true,
		rows,
		headHash,
		headId: previousId,
		checkpointId: checkpoint?.id,
		expectedHeadChecked,
		unkeyedRows,
	};
}
