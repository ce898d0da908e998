import { VaultError } from '../errors.js';
import type { Actor } from './api-tokens.js';
import type { FetchedCredential } from './connections.js';
import { fetchCredential, type CredentialFetchDeps } from './credential-fetch.js';

/** Most pairs one batch may ask for: one n8n execution's items are sent 500 at a time. */
export const MAX_BATCH_PAIRS = 500;

export interface CredentialPair {
	client_id: string;
	service: string;
}

/** A pair's refusal: the single fetch's error body (`{statusCode, code, message}` and details). */
export interface BatchItemError {
	statusCode: number;
	code: string;
	message: string;
	[detail: string]: string | number;
}

/** One pair's answer: its credential (status 200) or the error the single fetch would answer. */
export type BatchItem = CredentialPair & { status: number } & (
		| { credential: FetchedCredential; error?: never }
		| { error: BatchItemError; credential?: never }
	);

const errorBody = (error: VaultError): BatchItemError => ({
	statusCode: error.statusCode,
	code: error.code,
	message: error.message,
	...error.details,
});

/** A token limited to some clients may fetch only theirs (the auth plugin's check, per pair). */
function checkClient(actor: Actor | undefined, clientId: string): void {
	if (actor?.clients && !actor.clients.includes(clientId)) {
		throw new VaultError('FORBIDDEN', 'This token is not allowed to use this client');
	}
}

/**
 * The credentials of many pairs at once, in the order asked, each through the single fetch
 * (fetchCredential): the lookups share queries, a due connection is refreshed once however many
 * pairs name it, and a pair that fails answers its own error without failing the others. Only
 * VaultErrors are per pair; anything else (the database gone) rejects the whole batch.
 */
export async function fetchCredentialBatch(
	deps: CredentialFetchDeps,
	pairs: CredentialPair[],
	actor: Actor | undefined,
): Promise<BatchItem[]> {
	return Promise.all(
		pairs.map(async ({ client_id: clientId, service }): Promise<BatchItem> => {
			try {
				checkClient(actor, clientId);
				const credential = await fetchCredential(deps, clientId, service, actor, {
					includeRefreshToken: false,
				});
				return { client_id: clientId, service, status: 200, credential };
			} catch (error) {
				if (!(error instanceof VaultError)) throw error;
				return { client_id: clientId, service, status: error.statusCode, error: errorBody(error) };
			}
		}),
	);
}
