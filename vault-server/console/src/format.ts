import { h } from './dom.js';

/** The API's status words with a label for people beside them (STYLE.md: search the docs by the word). */
const STATUS_LABELS: Record<string, string> = {
	active: 'Working',
	needs_reauth: 'Needs reconnecting',
	disabled: 'Disabled',
	open: 'Open',
	used: 'Used',
	expired: 'Expired',
	revoked: 'Revoked',
	resolved: 'Resolved',
};

/** The API's status word in a badge with its label for people; `labels` for another vocabulary. */
export function statusBadge(status: string, labels = STATUS_LABELS): HTMLElement {
	const label = labels[status] ?? status;
	return h(
		'span',
		{ class: `badge badge-${/^[a-z_]+$/.test(status) ? status : 'other'}` },
		h('code', {}, status),
		' ',
		label,
	);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
	['year', 365 * 86_400_000],
	['month', 30 * 86_400_000],
	['day', 86_400_000],
	['hour', 3_600_000],
	['minute', 60_000],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "in 3 hours", "2 days ago": a date as relative time, the exact one in `datetime` and `title`. */
export function when(value: string | null | undefined, none = 'never'): HTMLElement | string {
	if (!value) return none;
	const date = new Date(value);
	const difference = date.getTime() - Date.now();
	const [unit, size] = UNITS.find(([, ms]) => Math.abs(difference) >= ms) ?? ['second', 1000];
	const text = relative.format(Math.round(difference / size), unit);
	return h('time', { datetime: date.toISOString(), title: date.toISOString() }, text);
}

const pad = (value: number) => String(value).padStart(2, '0');

/** `2026-12-01T10:28:54` in the browser's time zone: the value a datetime-local input shows. */
export function localDateTime(value: string | null | undefined): string {
	const date = new Date(value ?? '');
	if (Number.isNaN(date.getTime())) return '';
	return (
		`${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
		`T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
	);
}

/** An audit time as the operator reads it (local, to the second), the exact UTC one in `datetime`. */
export function timestamp(value: string): HTMLElement {
	const date = new Date(value);
	return h(
		'time',
		{ datetime: date.toISOString(), title: date.toISOString() },
		localDateTime(value).replace('T', ' '),
	);
}
