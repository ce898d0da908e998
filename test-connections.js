#!/usr/bin/env node
// The design's diagnostics script, run from the repository root as the design shows:
// `node test-connections.js [--insert-test-data | --remove-test-data]`, the same as
// vault-server/test-connections.js and `otobot-vault test-connections`. Not part of the n8n package.
import('./vault-server/run-cli.mjs').then(({ runCli }) =>
	runCli(['test-connections', ...process.argv.slice(2)]),
);
