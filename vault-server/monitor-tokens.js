#!/usr/bin/env node
// The design's monitoring script: `node monitor-tokens.js [--watch] [--interval 5m] [--json]`.
// Same as `otobot-vault monitor`; exit status 1 when something needs action.
import { runCli } from './run-cli.mjs';

runCli(['monitor', ...process.argv.slice(2)]);
