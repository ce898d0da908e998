import type { Queryable } from '../storage/database.js';
import { ciphertextStore } from '../storage/ciphertext-store.js';
import { encryptionKeysStore, type KeyStatus } from '../storage/encryption-keys-store.js';
import { CIPHERTEXT_LOCATIONS, type CiphertextLocation } from './ciphertext-locations.js';

export interface KeyVersionStatus {
	version: number;
	/** `missing` when ciphertexts name a version the table does not hold. */
	status: KeyStatus | 'missing';
	created_at: Date | null;
	retired_at: Date | null;
	/** Ciphertexts this version still protects, in all and per location. */
	ciphertexts: number;
	by_location: Record<string, number>;
}

export interface KeysStatus {
	active_version: number | null;
	keys: KeyVersionStatus[];
	/** Ciphertexts under another version than the active one: what `keys rewrap` would move. */
	not_on_active: number;
}

/** Every key version, which is active, and how many ciphertexts each still protects. */
export async function keysStatus(
	db: Queryable,
	locations: readonly CiphertextLocation[] = CIPHERTEXT_LOCATIONS,
): Promise<KeysStatus> {
	const rows = await encryptionKeysStore(db).list();
	const keys = new Map<number, KeyVersionStatus>(
		rows.map((row) => [
			row.version,
			{
				version: row.version,
				status: row.status,
				created_at: row.created_at,
				retired_at: row.retired_at,
				ciphertexts: 0,
				by_location: Object.fromEntries(locations.map((place) => [place.name, 0])),
			},
		]),
	);
	for (const place of locations) {
		for (const [version, count] of await ciphertextStore(db, place).countByVersion()) {
			let entry = keys.get(version);
			if (!entry) {
				entry = {
					version,
					status: 'missing',
					created_at: null,
					retired_at: null,
					ciphertexts: 0,
					by_location: {},
				};
				keys.set(version, entry);
			}
			entry.ciphertexts += count;
			entry.by_location[place.name] = (entry.by_location[place.name] ?? 0) + count;
		}
	}
	const list = [...keys.values()].sort((a, b) => a.version - b.version);
	const active = list.find((key) => key.status === 'active')?.version ?? null;
	return {
		active_version: active,
		keys: list,
		not_on_active: list
			.filter((key) => key.version !== active)
			.reduce((sum, key) => sum + key.ciphertexts, 0),
	};
}

/** How many ciphertexts, across every location, `version` still protects. */
export async function ciphertextsUnder(
	db: Queryable,
	version: number,
	locations: readonly CiphertextLocation[] = CIPHERTEXT_LOCATIONS,
): Promise<number> {
	let total = 0;
	for (const place of locations)
		total += (await ciphertextStore(db, place).countByVersion()).get(version) ?? 0;
	return total;
}
