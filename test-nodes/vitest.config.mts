import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
	root: fileURLToPath(new URL('..', import.meta.url)),
	resolve: {
		// The CommonJS build is what n8n loads the compiled node against; its ESM build also
		// ships source maps without sources, which would flood the test output.
		alias: { 'n8n-workflow': require.resolve('n8n-workflow') },
	},
	test: {
		include: ['test-nodes/**/*.test.ts'],
		// each file starts a real vault on its own database
		hookTimeout: 90_000,
	},
});
