import { randomBytes } from 'node:crypto';
import { wrapDataKey, type KeyLoader, type KeyRow } from '../../src/crypto/keyring.js';

/**
 * An in-memory `encryption_keys` table for keyring tests: rows wrapped under `masterKey` with
 * known data keys (`dataKeys`, by version), a loader that counts its reads and first-key inserts,
 * a switch that makes reads fail (a database outage) and a hold that keeps reads waiting until
 * released (a slow database).
 */
export function keyTable(
	masterKey: Buffer,
	initial: { version: number; status: KeyRow['status'] }[],
) {
	const dataKeys = new Map<number, Buffer>();
	const rows: KeyRow[] = initial.map(({ version, status }) => {
		const dataKey = randomBytes(32);
		dataKeys.set(version, dataKey);
		return { version, status, wrapped_key: wrapDataKey(masterKey, version, dataKey) };
	});
	const counts = { reads: 0, inserts: 0 };
	let failReads = false;
	let held: Promise<void> | undefined;
	const loader: KeyLoader = {
		listUsable: async () => {
			counts.reads += 1;
			await held;
			if (failReads) throw new Error('database unavailable');
			return rows.filter((row) => row.status !== 'retired');
		},
		insertFirst: async (wrapped) => {
			counts.inserts += 1;
			if (rows.length === 0) rows.push({ version: 1, wrapped_key: wrapped, status: 'active' });
		},
	};
	return {
		rows,
		dataKeys,
		counts,
		loader,
		failReads: (fail: boolean) => {
			failReads = fail;
		},
		/** Keeps every read from now on waiting until the returned function is called. */
		holdReads(): () => void {
			let release = () => {};
			held = new Promise((resolve) => {
				release = () => {
					held = undefined;
					resolve();
				};
			});
			return release;
		},
		/** Makes `version` active (a new key when it is new) and the others decrypt-only. */
		rotateTo(version: number) {
			for (const row of rows) if (row.status === 'active') row.status = 'decrypt_only';
			const dataKey = randomBytes(32);
			dataKeys.set(version, dataKey);
			rows.push({
				version,
				status: 'active',
				wrapped_key: wrapDataKey(masterKey, version, dataKey),
			});
		},
	};
}
