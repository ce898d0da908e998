import { defineConfig } from 'tsup';

export default defineConfig({
	entry: {
		cli: 'src/cli.ts',
		'bench/run': 'bench/run.ts',
		'bench/baseline-server': 'bench/baseline-server.ts',
		'bench/load': 'bench/load.ts',
	},
	format: ['esm'],
	target: 'node20',
	platform: 'node',
	clean: true,
	sourcemap: true,
	banner: { js: '#!/usr/bin/env node' },
	// the benchmark's load generator is a dev tool: loaded from node_modules, not bundled
	external: ['autocannon'],
});
