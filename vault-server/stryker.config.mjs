// @ts-check
/**
 * StrykerJS settings for `npm run mutation` (scripts/mutation.mjs picks the files to mutate and
 * the tests to run from mutation/modules.mjs). One test process: the machines this runs on are
 * shared.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
	testRunner: 'vitest',
	vitest: { configFile: 'mutation/vitest.config.mjs', related: false },
	coverageAnalysis: 'perTest',
	concurrency: 1,
	timeoutMS: 60_000,
	dryRunTimeoutMinutes: 30,
	reporters: ['clear-text', 'progress'],
	clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
	ignoreStatic: true,
	// the built CLI holds no mutant (its tests do not run under mutation), and a build while the
	// sandbox is copied would break the copy; nor another module's sandbox
	ignorePatterns: ['dist', '.stryker-tmp'],
	tempDirName: '.stryker-tmp',
	cleanTempDir: true,
	plugins: ['@stryker-mutator/vitest-runner'],
};
