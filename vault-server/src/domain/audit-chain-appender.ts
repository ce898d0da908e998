import { hmacAuditRow } from '../crypto/audit-chain-key.js';
import type { Queryable } from '../storage/database.js';
import { auditStore } from '../storage/audit-store.js';

/** The key the vault chains new rows with: derived from the active data key (Keyring). */
export interface AuditChainKeySource {
	auditChainKey(): { version: number; key: Buffer };
}

export interface UsedMarks {
	connections: { client_id: string; service: string }[];
	tokens: string[];
}

// each retry means another process appended meanwhile; a bound against a livelock, never reached
const MAX_ATTEMPTS = 50;

/**
 * Chains audit rows in the vault (HMAC, crypto/audit-chain-key.ts) and appends them in one
 * statement. The head this process last saw is kept, so an append is one round trip; when another
 * process moved the head (or an append of ours rolled back) the database answers with the real
 * head and the rows are chained again from it.
 */
export class AuditChainAppender {
	#head: { id: number; hash: string } | undefined;

	constructor(private readonly keys: AuditChainKeySource) {}

	/**
	 * Appends the canonical JSON `contents` (domain/audit-chain.ts auditContent) in order, and marks
	 * `used` connections and tokens, on `db` (a transaction when the rows must commit with a write).
	 * Resolves with the new head's id.
	 */
	async append(db: Queryable, contents: string[], used: UsedMarks): Promise<number> {
		const store = auditStore(db);
		for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
			let head = this.#head;
			if (!head) {
				const read = await store.readHead();
				if (!read) throw new Error('audit_chain_head is missing');
				head = { id: read.last_id, hash: Buffer.from(read.last_hash).toString('hex') };
			}
			const { version, key } = this.keys.auditChainKey();
			const hashes: string[] = [];
			let previous = head.hash;
			for (const [index, content] of contents.entries()) {
				previous = hmacAuditRow(key, version, previous, head.id + index + 1, content);
				hashes.push(previous);
			}
			const outcome = await store.appendKeyed(
				head.id,
				head.hash,
				version,
				contents,
				hashes,
				used.connections,
				used.tokens,
			);
			this.#head = { id: outcome.last_id, hash: outcome.last_hash };
			if (outcome.appended) return outcome.last_id;
		}
		throw new Error('the audit chain head kept moving; the rows were not written');
	}

	/** Forgets the head: the next append reads it (after a failed statement, whose effect is unknown). */
	forgetHead(): void {
		this.#head = undefined;
	}
}
