/**
 * `vi.waitFor` options for waiting on something a test set in motion (a refresh, a notification,
 * a process picking a change up): polled every 50 ms, given up after 30 s. The bound is against
 * hangs on a busy 2-core machine (vi.waitFor's own default, 1 s, assumes an idle one); no test
 * asserts how long the wait took.
 */
export const WAIT_BOUND = { timeout: 30_000, interval: 50 } as const;
