import { createHmac } from 'node:crypto';
import type { Secret } from '../../config/secret.js';

export const SIGNATURE_HEADER = 'x-otobot-signature';
export const TIMESTAMP_HEADER = 'x-otobot-timestamp';
export const DELIVERY_HEADER = 'x-otobot-delivery';
export const EVENT_HEADER = 'x-otobot-event';

/**
 * `sha256=` + hex HMAC-SHA-256 (RFC 2104) of `<timestamp>.<body>` under the subscription's secret.
 * The timestamp (Unix seconds, also sent in X-Otobot-Timestamp) lets a receiver refuse old replays.
 */
export function signWebhook(secret: Secret, timestamp: number, body: string): string {
	return `sha256=${createHmac('sha256', secret.reveal()).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * The headers of one POST of a delivery: JSON, the delivery id (the same for every retry, so a
 * receiver can dedupe), the event, the timestamp, and the signature when the subscription has a
 * secret. `timestamp` is in Unix seconds.
 */
export function deliveryHeaders(
	body: string,
	delivery: { id: string; event: string },
	secret: Secret | undefined,
	timestamp: number,
): Record<string, string> {
	const headers: Record<string, string> = {
		'content-type': 'application/json',
		'user-agent': 'otobot-vault-webhooks',
		[DELIVERY_HEADER]: delivery.id,
		[EVENT_HEADER]: delivery.event,
		[TIMESTAMP_HEADER]: String(timestamp),
	};
	if (secret) headers[SIGNATURE_HEADER] = signWebhook(secret, timestamp, body);
	return headers;
}
