import type { Queryable } from '../../storage/database.js';
import { apiTokensStore } from '../../storage/api-tokens-store.js';
import { emitWebhookEvent } from './webhook-events.js';

/**
 * Queues `api_token.expiring` for each live API token that expires within `warningDays`
 * (TOKEN_EXPIRY_WARNING_DAYS) and was not reported yet, in `q`'s transaction: each token once.
 * The event names the token (id, name, scope, prefix, expiry), never the token.
 */
export async function emitExpiringTokenEvents(q: Queryable, warningDays: number): Promise<void> {
	for (const token of await apiTokensStore(q).claimExpiring(warningDays))
		await emitWebhookEvent(q, 'api_token.expiring', { api_token: token });
}
