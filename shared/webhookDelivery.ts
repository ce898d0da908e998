import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a delivery's X-Otobot-Timestamp may be from n8n's clock, in seconds. */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

/** Why a delivery was refused, each with a stable code. */
export type DeliveryRefusal =
	| 'SIGNATURE_MISSING'
	| 'SIGNATURE_INVALID'
	| 'TIMESTAMP_INVALID'
	| 'TIMESTAMP_OUT_OF_RANGE'
	| 'DELIVERY_ID_MISSING';

export type DeliveryVerdict =
	| { ok: true; deliveryId: string }
	| { ok: false; code: DeliveryRefusal; message: string };

const header = (headers: Record<string, unknown>, name: string): string | undefined => {
	const value = headers[name] ?? headers[name.toLowerCase()];
	if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
	return typeof value === 'string' ? value : undefined;
};

/** `sha256=` + hex HMAC-SHA-256 (RFC 2104) of `<timestamp>.<body>`: what the vault sends. */
export function expectedSignature(secret: string, timestamp: string, rawBody: Buffer): string {
	const hmac = createHmac('sha256', secret);
	hmac.update(`${timestamp}.`, 'utf8');
	hmac.update(rawBody);
	return `sha256=${hmac.digest('hex')}`;
}

/**
 * Checks one delivery of the Otobot Vault (X-Otobot-Signature, X-Otobot-Timestamp,
 * X-Otobot-Delivery): the signature over the raw body, compared in constant time, and a
 * timestamp within {@link TIMESTAMP_TOLERANCE_SECONDS} of `nowSeconds`. Replays within that window
 * are the caller's {@link RecentDeliveries}. Never throws.
 */
export function verifyDelivery(
	headers: Record<string, unknown>,
	rawBody: Buffer,
	secret: string,
	nowSeconds: number,
): DeliveryVerdict {
	const signature = header(headers, 'x-otobot-signature');
	const timestamp = header(headers, 'x-otobot-timestamp');
	const deliveryId = header(headers, 'x-otobot-delivery');
	if (!signature) return refuse('SIGNATURE_MISSING', 'The delivery carries no X-Otobot-Signature');
	if (!timestamp || !/^\d{1,12}$/.test(timestamp))
		return refuse('TIMESTAMP_INVALID', 'The delivery carries no valid X-Otobot-Timestamp');
	const expected = Buffer.from(expectedSignature(secret, timestamp, rawBody), 'utf8');
	const given = Buffer.from(signature, 'utf8');
	if (given.length !== expected.length || !timingSafeEqual(given, expected))
		return refuse('SIGNATURE_INVALID', 'The X-Otobot-Signature does not match the body');
	if (Math.abs(nowSeconds - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS)
		return refuse(
			'TIMESTAMP_OUT_OF_RANGE',
			`The X-Otobot-Timestamp is more than ${TIMESTAMP_TOLERANCE_SECONDS} s from now`,
		);
	if (!deliveryId)
		return refuse('DELIVERY_ID_MISSING', 'The delivery carries no X-Otobot-Delivery');
	return { ok: true, deliveryId };
}

function refuse(code: DeliveryRefusal, message: string): DeliveryVerdict {
	return { ok: false, code, message };
}

/**
 * The delivery ids seen within the timestamp tolerance: a delivery whose id is here is a replay
 * (or the vault's retry of one n8n already took). Older ids need no memory, their timestamps are
 * refused. Bounded: at most `capacity` ids, the oldest forgotten first.
 */
export class RecentDeliveries {
	readonly #seen = new Map<string, number>();

	constructor(private readonly capacity = 10_000) {}

	/** Records `id` seen at `nowSeconds`; false when it was already seen within the window. */
	firstSighting(id: string, nowSeconds: number): boolean {
		for (const [old, at] of this.#seen) {
			if (at >= nowSeconds - 2 * TIMESTAMP_TOLERANCE_SECONDS && this.#seen.size < this.capacity)
				break;
			this.#seen.delete(old);
		}
		if (this.#seen.has(id)) return false;
		this.#seen.set(id, nowSeconds);
		return true;
	}
}
