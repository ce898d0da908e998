import type { MonitoringSummary } from '../domain/monitoring.js';
import type { MonitoredConnection } from '../storage/monitoring-store.js';

export interface Paint {
	red(text: string): string;
	yellow(text: string): string;
	green(text: string): string;
	bold(text: string): string;
}

const ansi = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
export const COLOURS: Paint = { red: ansi(31), yellow: ansi(33), green: ansi(32), bold: ansi(1) };
export const PLAIN: Paint = { red: (t) => t, yellow: (t) => t, green: (t) => t, bold: (t) => t };

const date = (value: Date | string | null) =>
	value ? new Date(value).toISOString().slice(0, 16).replace('T', ' ') : '-';

function table(rows: string[][]): string[] {
	const widths = rows[0]!.map((_cell, column) =>
		Math.max(...rows.map((row) => row[column]!.length)),
	);
	return rows.map((row) =>
		`  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`.trimEnd(),
	);
}

const SECTIONS: {
	key: keyof MonitoringSummary['connections'];
	title: string;
	level: 'red' | 'yellow';
	extra: (c: MonitoredConnection) => string;
}[] = [
	{
		key: 'expired',
		title: 'Expired tokens',
		level: 'red',
		extra: (c) => `expired ${date(c.expires_at)}`,
	},
	{
		key: 'expiring',
		title: 'Expiring within 24 h',
		level: 'yellow',
		extra: (c) => `expires ${date(c.expires_at)}`,
	},
	{
		key: 'refresh_errors',
		title: 'Refresh errors',
		level: 'red',
		extra: (c) => `${c.refresh_failures} failure(s): ${c.last_error ?? '-'}`,
	},
	{
		key: 'needs_reauth',
		title: 'Need re-authorisation',
		level: 'red',
		extra: (c) =>
			`the client must reconnect (${c.last_error ?? 'no reason recorded'}): otobot-vault connect-link ${c.client_id} ${c.service}`,
	},
	{
		key: 'unused',
		title: 'Unused connections',
		level: 'yellow',
		extra: (c) =>
			c.last_used_at
				? `last used ${date(c.last_used_at)}`
				: `never used, created ${date(c.created_at)}`,
	},
];

/** The monitoring summary as a terminal table: a count line per metric, then what to look at. */
export function renderSummary(summary: MonitoringSummary, paint: Paint): string {
	const { counts, thresholds } = summary;
	const mark = (count: number, level: 'red' | 'yellow') =>
		count > 0 ? paint[level](String(count)) : paint.green('0');
	const lines = [
		paint.bold(
			`Otobot Vault monitoring — ${date(summary.generated_at)} UTC — ${counts.connections} connection(s)`,
		),
		'',
		...table([
			['Expired tokens', mark(counts.expired, 'red')],
			[`Expiring within ${thresholds.expiring_within_hours} h`, mark(counts.expiring, 'yellow')],
			['Refresh errors', mark(counts.refresh_errors, 'red')],
			['Need re-authorisation', mark(counts.needs_reauth, 'red')],
			[`Unused for ${thresholds.unused_days} days or never used`, mark(counts.unused, 'yellow')],
			[
				`API tokens expiring within ${thresholds.token_warning_days} days`,
				mark(counts.tokens_expiring, 'yellow'),
			],
			['API tokens expired, not revoked', mark(counts.tokens_expired, 'red')],
			['Open alerts', mark(counts.open_alerts, 'red')],
		]),
	];
	for (const section of SECTIONS) {
		const items = summary.connections[section.key];
		if (items.length === 0) continue;
		lines.push('', paint[section.level](`${section.title}:`));
		lines.push(
			...table(
				items.map((c) => [`${c.client_id}/${c.service}`, c.type, c.status, section.extra(c)]),
			),
		);
	}
	if (summary.api_tokens.length > 0) {
		lines.push(
			'',
			paint.yellow('API tokens to rotate (otobot-vault token create ..., then token revoke <id>):'),
		);
		lines.push(
			...table(
				summary.api_tokens.map((t) => [
					t.id,
					t.scope,
					t.name,
					`${t.expired ? 'EXPIRED' : 'expires'} ${date(t.expires_at)}`,
					t.last_used_at ? `last used ${date(t.last_used_at)}` : 'never used',
				]),
			),
		);
	}
	if (summary.alerts.length > 0) {
		lines.push('', paint.red('Open alerts:'));
		lines.push(
			...table(
				summary.alerts.map((a) => [
					`#${a.id}`,
					a.subject,
					a.title,
					`since ${date(a.first_seen_at)}`,
				]),
			),
		);
	}
	lines.push(
		'',
		summary.needs_action ? paint.red('Action needed.') : paint.green('Nothing needs action.'),
	);
	return `${lines.join('\n')}\n`;
}
