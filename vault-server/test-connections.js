#!/usr/bin/env node
// The design's diagnostics script: `node test-connections.js [--insert-test-data | --remove-test-data]`.
// Same as `otobot-vault test-connections`; exit status 1 when a check FAILED.
import { runCli } from './run-cli.mjs';

runCli(['test-connections', ...process.argv.slice(2)]);
