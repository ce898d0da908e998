import type { Config } from '../config/config.js';
import type { MonitoringSummary } from '../domain/monitoring.js';
import { COLOURS, PLAIN, renderSummary } from './monitor-table.js';
import { openMonitoringSource } from './monitoring-source.js';
import { reportFailure } from './cli-output.js';

export interface MonitorOptions {
	watch?: boolean;
	/** Time between redraws with --watch, as typed (for the footer) and in milliseconds. */
	interval: { text: string; ms: number };
	json?: boolean;
}

/**
 * `otobot-vault monitor [--watch] [--interval 5m] [--json]`: the monitoring summary. Exit 1 when
 * something needs action (cron-friendly), 0 when all is well; `--watch` redraws until Ctrl-C.
 */
export async function monitorCommand(config: Config, values: MonitorOptions): Promise<number> {
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
						process.stdout.write(`Next refresh in ${values.interval.text}; Ctrl-C to stop.\n`);
				} catch (error) {
					reportFailure(error instanceof Error ? error.message : String(error));
					last = 1;
				}
				timer = setTimeout(() => void round(), values.interval.ms);
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
}
