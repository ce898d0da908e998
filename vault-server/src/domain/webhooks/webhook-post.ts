import type { Secret } from '../../config/secret.js';
import type { PrivateAddressPolicy } from '../../oauth/address-policy.js';
import { ProviderCallError, providerRequest } from '../../oauth/provider-http.js';
import type { AttemptErrorClass } from '../../storage/webhook-deliveries-store.js';
import { deliveryHeaders } from './webhook-signature.js';

/** Of an answer's body, at most this much is read (a receiver says "ok", not a novel). */
const ANSWER_CAP_BYTES = 65_536;
const EXCERPT_CHARS = 200;

export interface PostResult {
	delivered: boolean;
	httpStatus: number | null;
	errorClass: AttemptErrorClass | null;
	durationMs: number;
	excerpt: string | null;
}

/**
 * At most EXCERPT_CHARS of a failed answer, for the delivery log: control characters turned into
 * spaces, runs of spaces collapsed, and the subscription's secret cut out should a receiver echo it.
 */
export function answerExcerpt(text: string, secret: Secret | undefined): string | null {
	let clean = text
		.replace(/[\p{Cc}\p{Cf}]+/gu, ' ')
		.replace(/\s+/g, ' ')
		.trim();
	if (secret && secret.reveal().length > 0) clean = clean.split(secret.reveal()).join('[REDACTED]');
	return clean.length === 0 ? null : clean.slice(0, EXCERPT_CHARS);
}

/**
 * One signed POST of a delivery's `body` through the vault's safe outbound client
 * (oauth/provider-http.ts: the private-address policy checked at connect time, no redirect
 * followed, `timeoutMs` for the whole exchange, the answer capped). Delivered on a 2xx; never throws.
 */
export async function postDelivery(
	delivery: { url: string; delivery_id: string; event: string },
	body: string,
	secret: Secret | undefined,
	options: { timeoutMs: number; privateAddresses: PrivateAddressPolicy },
): Promise<PostResult> {
	const started = performance.now();
	const elapsed = () => Math.max(0, Math.round(performance.now() - started));
	const headers = deliveryHeaders(
		body,
		{ id: delivery.delivery_id, event: delivery.event },
		secret,
		Math.floor(Date.now() / 1000),
	);
	try {
		const answer = await providerRequest(new URL(delivery.url), {
			method: 'POST',
			headers,
			body,
			timeoutMs: options.timeoutMs,
			maxBytes: ANSWER_CAP_BYTES,
			privateAddresses: options.privateAddresses,
			role: 'the webhook URL',
		});
		const delivered = answer.status >= 200 && answer.status < 300;
		return {
			delivered,
			httpStatus: answer.status,
			errorClass: delivered ? null : 'http_status',
			durationMs: elapsed(),
			excerpt: delivered ? null : answerExcerpt(answer.text, secret),
		};
	} catch (error) {
		const errorClass = error instanceof ProviderCallError ? error.problem : 'network';
		return { delivered: false, httpStatus: null, errorClass, durationMs: elapsed(), excerpt: null };
	}
}
