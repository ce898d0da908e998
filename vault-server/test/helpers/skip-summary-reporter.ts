import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Reporter } from 'vitest/reporters';

interface Skip {
	what: string;
	why: string;
	file: string;
}

/**
 * Prints, after vitest's own summary, one line naming every check that did not run on this machine
 * and why (recorded by `runsHere` in test/helpers/skips.ts into `logFile`), so a green `npm test`
 * says what it did not prove. Prints nothing when everything ran.
 */
export class SkipSummaryReporter implements Reporter {
	constructor(private readonly logFile: string) {
		rmSync(logFile, { force: true });
	}

	// onFinished, not onTestRunEnd: vitest 3 calls every reporter's onTestRunEnd before any
	// onFinished, where the default reporter prints its summary; this line belongs after it
	onFinished() {
		if (!existsSync(this.logFile)) return;
		const skips = readFileSync(this.logFile, 'utf8')
			.split('\n')
			.filter(Boolean)
			.map((line) => JSON.parse(line) as Skip);
		rmSync(this.logFile, { force: true });
		const files = new Map<string, Set<string>>();
		for (const { what, why, file } of skips) {
			const key = `${what} (${why})`;
			files.set(key, (files.get(key) ?? new Set()).add(file));
		}
		const parts = [...files].map(([key, where]) => `${key} in ${[...where].sort().join(', ')}`);
		console.log(`\n Skipped here (CI=true makes each a failure): ${parts.join('; ')}\n`);
	}
}
