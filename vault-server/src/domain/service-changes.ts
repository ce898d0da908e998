import type { ServiceRow } from '../storage/services-store.js';
import type { ServiceInput } from './services.js';

const sameValue = (a: unknown, b: unknown) =>
	a === b || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Whether the client secret given differs from the one stored (compared decrypted). */
async function secretChanged(
	before: ServiceRow,
	secret: string | null,
	openStored: (ciphertext: Uint8Array) => Promise<string>,
): Promise<boolean> {
	const stored = before.oauth_client_secret_ciphertext;
	if (secret === null || stored === null) return secret !== null || stored !== null;
	try {
		return (await openStored(stored)) !== secret;
	} catch {
		// a secret the keyring cannot open is being replaced: a change
		return true;
	}
}

/**
 * The names of the fields a PATCH changes, sorted: what the `service.update` audit row records.
 * Names only: the client secret appears as `oauth_client_secret`, never its value; it is
 * compared with the stored one opened by `openStored`.
 */
export async function changedServiceFields(
	before: ServiceRow,
	input: ServiceInput,
	openStored: (ciphertext: Uint8Array) => Promise<string>,
): Promise<string[]> {
	const changed: string[] = [];
	for (const [field, value] of Object.entries(input)) {
		if (value === undefined) continue;
		if (field === 'oauth_client_secret') {
			if (await secretChanged(before, value as string | null, openStored)) changed.push(field);
		} else if (!sameValue(before[field as keyof ServiceRow], value)) changed.push(field);
	}
	return changed.sort();
}
