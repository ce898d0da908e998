import { defineConfig } from 'vitest/config';
import { vitePostgresPatch } from './build/postgres-driver-patch.js';

export default defineConfig({
	plugins: [vitePostgresPatch],
	test: {
		include: ['test/**/*.test.ts'],
		testTimeout: 30_000,
		hookTimeout: 60_000,
		pool: 'forks',
		poolOptions: { forks: { maxForks: 2 } },
		// loaded through vite, so the fixes apply to the driver the tests use
		server: { deps: { inline: ['postgres'] } },
	},
});
