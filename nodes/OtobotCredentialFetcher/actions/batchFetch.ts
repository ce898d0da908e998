import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { credentialPath, type VaultTarget } from '../../../shared/vaultIds';
import type { VaultClient, VaultResponse } from '../transport';
import type { OperationContext } from './operation';
import { resolveTarget } from './target';

/** The vault's limit on pairs per batch fetch (POST /v1/credentials/batch). */
export const MAX_BATCH_PAIRS = 500;

/** The operations whose items fetch one credential each, and so can share batch requests. */
export const BATCHED_OPERATIONS = new Set(['getAccessToken', 'getCredentials']);

interface BatchResult {
	status: number;
	credential?: IDataObject;
	error?: IDataObject;
}

/** The distinct targets the items ask for; an item whose target is bad fails later, on its own. */
function distinctTargets(context: IExecuteFunctions, { defaults }: OperationContext) {
	const targets = new Map<string, VaultTarget>();
	for (let itemIndex = 0; itemIndex < context.getInputData().length; itemIndex++) {
		try {
			const target = resolveTarget(context, defaults, itemIndex);
			targets.set(credentialPath(target), target);
		} catch {
			// the item's own run throws the same error, with its index, under Continue On Fail
		}
	}
	return targets;
}

/** Asks for `paths` in one batch request and remembers each pair's answer as its single fetch's. */
async function fetchChunk(vault: VaultClient, chunk: [string, VaultTarget][]): Promise<void> {
	const pairs = chunk.map(([, target]) => ({
		client_id: target.clientId,
		service: target.service,
	}));
	let answer: VaultResponse;
	try {
		answer = await vault.send({ method: 'POST', path: '/v1/credentials/batch', body: { pairs } });
	} catch (error) {
		for (const [path] of chunk) vault.remember('GET', path, Promise.reject(error));
		return;
	}
	// a vault from before the batch route: the items fetch one by one, as they used to
	if (answer.statusCode === 404 && answer.body.code === 'NOT_FOUND') return;
	const results = answer.body.results;
	if (answer.statusCode !== 200 || !Array.isArray(results) || results.length !== chunk.length) {
		// the whole batch was refused (token, rate limit past the wait, a bad answer): each item
		// gets that answer, as its own request would have
		for (const [path] of chunk) vault.remember('GET', path, Promise.resolve(answer));
		return;
	}
	chunk.forEach(([path], index) => {
		const result = results[index] as BatchResult;
		const body = result.credential ?? result.error ?? {};
		vault.remember(
			'GET',
			path,
			Promise.resolve({ statusCode: result.status, body, isObject: true }),
		);
	});
}

/**
 * Fetches the credentials every item of the execution asks for in batches of up to 500 distinct
 * pairs, one request after another, so that 1,300 items for 1,300 clients make 3 requests rather
 * than 1,300. The items then run as before and find their answer already there: outputs, errors,
 * pairedItem and Continue On Fail stay per item. One distinct pair is fetched as it always was.
 */
export async function prefetchCredentials(
	context: IExecuteFunctions,
	operationContext: OperationContext,
): Promise<void> {
	const targets = [...distinctTargets(context, operationContext)];
	if (targets.length < 2) return;
	for (let start = 0; start < targets.length; start += MAX_BATCH_PAIRS) {
		await fetchChunk(operationContext.vault, targets.slice(start, start + MAX_BATCH_PAIRS));
	}
}
