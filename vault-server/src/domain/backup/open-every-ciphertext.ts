import type { Keyring } from '../../crypto/keyring.js';
import type { Queryable } from '../../storage/database.js';
import { ciphertextStore } from '../../storage/ciphertext-store.js';
import { CIPHERTEXT_LOCATIONS } from '../ciphertext-locations.js';

export interface CiphertextCheck {
	opened: number;
	/** Ciphertexts that did not open: where, and the row's key (never a value). */
	failed: { location: string; key: Record<string, string> }[];
}

const PAGE = 500;

/**
 * Decrypts every ciphertext of every CIPHERTEXT_LOCATIONS entry with `keyring`, each with its
 * row's context, and counts what opened. The plaintexts are dropped at once.
 */
export async function openEveryCiphertext(
	db: Queryable,
	keyring: Keyring,
): Promise<CiphertextCheck> {
	const result: CiphertextCheck = { opened: 0, failed: [] };
	for (const place of CIPHERTEXT_LOCATIONS) {
		const store = ciphertextStore(db, place);
		let after: string[] | undefined;
		for (;;) {
			const rows = await store.page(after, PAGE);
			for (const row of rows) {
				for (const [index, ciphertext] of row.ciphertexts.entries()) {
					if (!ciphertext) continue;
					try {
						(await keyring.decrypt(ciphertext, place.context(row.key, index))).fill(0);
						result.opened += 1;
					} catch {
						result.failed.push({ location: place.name, key: row.key });
					}
				}
			}
			if (rows.length < PAGE) break;
			after = place.keyColumns.map((column) => rows.at(-1)!.key[column]!);
		}
	}
	return result;
}
