/**
 * How long the vault asks to wait before the next request, from a 429 answer's `Retry-After`
 * header (RFC 9110 section 10.2.3: delay-seconds or an HTTP-date); `undefined` without one.
 */
export function retryAfterMs(headers: unknown, now = Date.now()): number | undefined {
	const raw = (headers as Record<string, unknown> | undefined)?.['retry-after'];
	const value = Array.isArray(raw) ? raw[0] : raw;
	if (typeof value !== 'string' && typeof value !== 'number') return undefined;
	const text = String(value).trim();
	if (/^\d+$/.test(text)) return Number(text) * 1000;
	const date = Date.parse(text);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
