import type { Queryable } from '../../storage/database.js';
import type { ConnectionRow } from '../../storage/connections-store.js';
import {
	APP_REFUSAL_HOLD_SECONDS,
	refreshStore,
	type ConnectionKey,
} from '../../storage/refresh-store.js';
import { servicesStore, type ServiceRow } from '../../storage/services-store.js';
import type { TokenEndpointError } from '../../oauth/token-error.js';
import { backoffUntil } from './refresh-policy.js';
import { emitRefreshFailureEvents } from '../webhooks/webhook-events.js';

/** What a failed refresh left: the outcome, and why (never a secret). */
export interface RefreshFailure {
	outcome: 'failed' | 'needs_reauth';
	reason: string;
}

/** The reason a refresh gives while the provider refuses the service's OAuth app. */
export const appRefusedReason = (service: string, appError: string) =>
	`the provider refused the OAuth app's credentials of '${service}' (${appError}); ` +
	`set its client id or secret with PATCH /v1/services/${service}`;

/**
 * Records a refused refresh where it belongs (docs/PROVIDERS.md "How each provider says no"):
 * a dead grant marks the connection `needs_reauth` (no further provider call until the client
 * reconnects); a refused OAuth app is the service's problem, recorded on the service row, the
 * connection left as it was; anything else backs the connection off, never before the
 * provider's Retry-After (RFC 9110 §10.2.3). The webhook events of the change are queued in `q`'s
 * transaction with it.
 */
export async function recordRefreshFailure(
	q: Queryable,
	key: ConnectionKey,
	connection: ConnectionRow,
	error: TokenEndpointError,
): Promise<RefreshFailure> {
	if (error.kind === 'revoked') {
		const state = await refreshStore(q).markNeedsReauth(key, error.reason);
		if (state) await emitRefreshFailureEvents(q, state);
		return { outcome: 'needs_reauth', reason: error.reason };
	}
	if (error.kind === 'app') {
		await servicesStore(q).recordAppError(key.service, error.reason);
		return { outcome: 'failed', reason: appRefusedReason(key.service, error.reason) };
	}
	const state = await refreshStore(q).recordFailure(
		key,
		error.reason,
		backoffUntil(connection.refresh_failures + 1, error.retryAfterSeconds),
	);
	if (state) await emitRefreshFailureEvents(q, state);
	return { outcome: 'failed', reason: error.reason };
}

/** How long a refused OAuth app keeps fetches and the background from calling the provider. */
export const APP_REFUSAL_HOLD_MS = APP_REFUSAL_HOLD_SECONDS * 1000;

/**
 * Whether the provider refused the service's OAuth app within the hold: then only an explicit
 * Refresh Now (or a change of the app, which clears the refusal) calls the provider again.
 */
export function appRefused(
	service: Pick<ServiceRow, 'app_error' | 'app_error_at'> | undefined,
	now = Date.now(),
): service is ServiceRow & { app_error: string } {
	return (
		service?.app_error != null &&
		service.app_error_at !== null &&
		service.app_error_at.getTime() > now - APP_REFUSAL_HOLD_MS
	);
}
