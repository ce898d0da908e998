import type { RewrapTotals } from '../domain/rewrap.js';
import { runProgress } from '../domain/rewrap-progress.js';

const BAR_WIDTH = 30;

/**
 * Shows a rewrap's progress: a bar redrawn in place on a terminal, otherwise a plain line at each
 * tenth of the work (logs and pipes stay readable).
 */
export function rewrapProgress(out: NodeJS.WriteStream) {
	let lastTenth = -1;
	return {
		update(totals: RewrapTotals) {
			const { done, total, ratio } = runProgress(totals);
			if (out.isTTY) {
				const filled = Math.round(ratio * BAR_WIDTH);
				out.write(
					`\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total} rows` +
						(totals.failed.length > 0 ? `, ${totals.failed.length} failed` : ''),
				);
				return;
			}
			const tenth = Math.floor(ratio * 10);
			if (tenth === lastTenth) return;
			lastTenth = tenth;
			out.write(`rewrap: ${done}/${total} rows (${tenth * 10}%)\n`);
		},
		end() {
			if (out.isTTY) out.write('\n');
		},
	};
}
