import { defineConfig } from 'vitest/config';
import { viteWriteGuard } from './build/postgres-write-guard.js';

export default defineConfig({
	plugins: [viteWriteGuard],
	test: {
		include: ['test/**/*.test.ts'],
		testTimeout: 30_000,
		hookTimeout: 60_000,
		pool: 'forks',
		poolOptions: { forks: { maxForks: 2 } },
		// loaded through vite, so the write guard applies to the driver the tests use
		server: { deps: { inline: ['postgres'] } },
	},
});
