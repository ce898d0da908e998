import { afterAll, afterEach } from 'vitest';
import { stopChildren, stopCliRuns } from './cli.js';

// A setup file (vitest.config.ts `setupFiles`): in every test file, no child a test started
// outlives it. CLI runs end with their test (one that timed out is killed here, and its exit
// awaited, before the next test opens the same embedded database); processes started in a
// `beforeAll` serve the whole file and end with it.
afterEach(stopCliRuns);
afterAll(stopChildren);
