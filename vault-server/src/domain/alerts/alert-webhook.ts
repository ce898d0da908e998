import { createHmac } from 'node:crypto';
import type { Secret } from '../../config/secret.js';
import type { AlertRow } from '../../storage/alerts-store.js';

export type AlertEvent = 'alert.opened' | 'alert.resolved';

export const SIGNATURE_HEADER = 'x-otobot-signature';
export const TIMESTAMP_HEADER = 'x-otobot-timestamp';

/**
 * The JSON an alert webhook receives: the alert's public fields, never a secret, and the audit
 * chain's head at sending time (`audit_head`: id and hex hash), so the receiver keeps a copy the
 * database cannot rewrite (`otobot-vault audit verify --expect-head ID:HASH`).
 */
export function alertPayload(
	event: AlertEvent,
	alert: AlertRow,
	title: string,
	auditHead: { id: number; hash: string },
) {
	return {
		event,
		alert: {
			id: alert.id,
			rule: alert.rule,
			title,
			subject: alert.subject,
			client_id: alert.client_id,
			service: alert.service,
			status: event === 'alert.opened' ? 'open' : 'resolved',
			details: alert.details,
			first_seen_at: alert.first_seen_at,
			last_seen_at: alert.last_seen_at,
			resolved_at: event === 'alert.resolved' ? alert.resolved_at : null,
		},
		audit_head: auditHead,
		sent_at: new Date().toISOString(),
	};
}

/**
 * `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>` under ALERT_WEBHOOK_SECRET. The timestamp
 * (Unix seconds, also sent in X-Otobot-Timestamp) lets a receiver refuse old replays.
 */
export function signWebhook(secret: Secret, timestamp: number, body: string): string {
	return `sha256=${createHmac('sha256', secret.reveal()).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookTarget {
	url: string;
	secret: Secret | undefined;
	timeoutMs: number;
	attempts: number;
	baseDelayMs: number;
}

const sleep = (ms: number, stop?: AbortSignal) =>
	new Promise<void>((resolve) => {
		const timer = setTimeout(resolve, ms);
		stop?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
	});

/**
 * POSTs one event, retried with exponential backoff (baseDelayMs, ×2 each time) on network
 * errors, 429 and 5xx, at most `attempts` times. Resolves true when a 2xx answered.
 */
export async function deliverWebhook(
	target: WebhookTarget,
	payload: object,
	deliveryId: string,
	stop?: AbortSignal,
): Promise<boolean> {
	const body = JSON.stringify(payload);
	for (let attempt = 1; attempt <= target.attempts && !stop?.aborted; attempt++) {
		const timestamp = Math.floor(Date.now() / 1000);
		const headers: Record<string, string> = {
			'content-type': 'application/json',
			'user-agent': 'otobot-vault-alerts',
			'x-otobot-delivery': deliveryId,
			[TIMESTAMP_HEADER]: String(timestamp),
		};
		if (target.secret) headers[SIGNATURE_HEADER] = signWebhook(target.secret, timestamp, body);
		let retry = true;
		try {
			const response = await fetch(target.url, {
				method: 'POST',
				headers,
				body,
				redirect: 'manual',
				signal: stop
					? AbortSignal.any([stop, AbortSignal.timeout(target.timeoutMs)])
					: AbortSignal.timeout(target.timeoutMs),
			});
			await response.body?.cancel();
			if (response.ok) return true;
			retry = response.status === 429 || response.status >= 500;
		} catch {
			retry = true;
		}
		if (!retry || attempt === target.attempts) return false;
		await sleep(target.baseDelayMs * 2 ** (attempt - 1), stop);
	}
	return false;
}
