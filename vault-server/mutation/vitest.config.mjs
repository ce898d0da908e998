import { defineConfig } from 'vitest/config';
import base from '../vitest.config.ts';

// The test run of one module's mutants: the repository's settings, only that module's tests
// (MUTATION_TESTS, comma-separated, set by scripts/mutation.mjs), one process at a time. Not
// mergeConfig: it would add these tests to the base include instead of replacing it.
export default defineConfig({
	...base,
	test: {
		...base.test,
		include: (process.env.MUTATION_TESTS ?? '').split(',').filter(Boolean),
		poolOptions: { forks: { maxForks: 1 } },
	},
});
