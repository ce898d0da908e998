import { defineConfig } from 'tsup';
import { esbuildPostgresPatch } from './build/postgres-driver-patch.js';

export default defineConfig({
	entry: {
		cli: 'src/cli.ts',
		'bench/run': 'bench/run.ts',
		'bench/baseline-server': 'bench/baseline-server.ts',
		'bench/load': 'bench/load.ts',
		'bench/driver-queue': 'bench/driver-queue.ts',
	},
	format: ['esm'],
	target: 'node22',
	platform: 'node',
	clean: true,
	sourcemap: true,
	banner: { js: '#!/usr/bin/env node' },
	// the benchmark's load generator is a dev tool: loaded from node_modules, not bundled
	external: ['autocannon'],
	// postgres.js is bundled so that its fixes are in (build/postgres-driver-patch.ts)
	noExternal: ['postgres'],
	esbuildPlugins: [esbuildPostgresPatch],
});
