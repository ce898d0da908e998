import { defineConfig } from 'vitest/config';
import base from '../vitest.config.ts';

// The test run of one module's mutants: the repository's settings, only that module's tests
// (MUTATION_TESTS, comma-separated, set by scripts/mutation.mjs), one process at a time, storage
// tests on PostgreSQL alone when it runs (the mutated domain code is the same on PGlite, and
// PGlite takes several times longer), and not the tests of the built CLI (helpers/cli.ts). Not mergeConfig: it would add these tests to the base
// include instead of replacing it.
export default defineConfig({
	...base,
	test: {
		...base.test,
		include: (process.env.MUTATION_TESTS ?? '').split(',').filter(Boolean),
		env: { ...base.test?.env, OTOBOT_TEST_BACKENDS: 'postgres', OTOBOT_MUTATION: '1' },
		poolOptions: { forks: { maxForks: 1 } },
	},
});
