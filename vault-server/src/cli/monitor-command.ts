import { parseArgs } from 'node:util';
import { parseDuration } from '../config/config.js';
import type { MonitoringSummary } from '../domain/monitoring.js';
import { COLOURS, PLAIN, renderSummary } from './monitor-table.js';
import { openMonitoringSource } from './monitoring-source.js';
import type { Command } from './commands.js';

const DEFAULT_INTERVAL = '5m';

/**
 * `otobot-vault monitor [--watch] [--interval 5m] [--json]`: the monitoring summary. Exit 1 when
 * something needs action (cron-friendly), 0 when all is well; `--watch` redraws until Ctrl-C.
 */
export const monitorCommand: Command = async (args, config) => {
	let values: { watch?: boolean; interval?: string; json?: boolean };
	let intervalMs: number;
	try {
		({ values } = parseArgs({
			args,
			options: {
				watch: { type: 'boolean' },
				interval: { type: 'string' },
				json: { type: 'boolean' },
			},
		}));
		intervalMs = parseDuration(values.interval ?? DEFAULT_INTERVAL, '--interval');
		if (intervalMs < 1000) throw new Error('--interval must be at least 1s');
	} catch (error) {
		console.error(
			`${error instanceof Error ? error.message : String(error)}\nUsage: otobot-vault monitor [--watch] [--interval 5m] [--json]`,
		);
		return 2;
	}
	const source = await openMonitoringSource(config);
	const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
	const show = (summary: MonitoringSummary) => {
		if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
		else
			process.stdout.write(
				`${values.watch && tty ? '\u001b[2J\u001b[H' : ''}${renderSummary(summary, tty ? COLOURS : PLAIN)}`,
			);
	};
	try {
		if (!values.watch) {
			const summary = await source.summary();
			show(summary);
			return summary.needs_action ? 1 : 0;
		}
		return await new Promise<number>((resolve) => {
			let last = 0;
			let timer: NodeJS.Timeout | undefined;
			const round = async () => {
				try {
					const summary = await source.summary();
					last = summary.needs_action ? 1 : 0;
					show(summary);
					if (!values.json)
						process.stdout.write(
							`Next refresh in ${values.interval ?? DEFAULT_INTERVAL}; Ctrl-C to stop.\n`,
						);
				} catch (error) {
					console.error(`monitor: ${error instanceof Error ? error.message : String(error)}`);
					last = 1;
				}
				timer = setTimeout(() => void round(), intervalMs);
			};
			const stop = () => {
				if (timer) clearTimeout(timer);
				resolve(last);
			};
			process.once('SIGINT', stop);
			process.once('SIGTERM', stop);
			void round();
		});
	} finally {
		await source.close();
	}
};
