import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { vitePostgresPatch } from './build/postgres-driver-patch.js';
import { SkipSummaryReporter } from './test/helpers/skip-summary-reporter.js';

// where test/helpers/skips.ts records what did not run on this machine, for the summary line
const skipLog = join(tmpdir(), `otobot-vault-skips-${process.pid}.jsonl`);

export default defineConfig({
	plugins: [vitePostgresPatch],
	test: {
		include: ['test/**/*.test.ts'],
		setupFiles: ['test/helpers/stop-children.ts'],
		// bounds against hangs, sized for a busy 2-core machine; no test asserts a duration
		testTimeout: 180_000,
		hookTimeout: 300_000,
		pool: 'forks',
		poolOptions: { forks: { maxForks: 2 } },
		env: { OTOBOT_SKIP_LOG: skipLog },
		reporters: ['default', new SkipSummaryReporter(skipLog)],
		// loaded through vite, so the fixes apply to the driver the tests use
		server: { deps: { inline: ['postgres'] } },
	},
});
