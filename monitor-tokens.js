#!/usr/bin/env node
// The design's monitoring script, run from the repository root as the design shows:
// `node monitor-tokens.js [--watch] [--interval 5m] [--json]`, the same as
// vault-server/monitor-tokens.js and `otobot-vault monitor`. Not part of the n8n package.
import('./vault-server/run-cli.mjs').then(({ runCli }) =>
	runCli(['monitor', ...process.argv.slice(2)]),
);
