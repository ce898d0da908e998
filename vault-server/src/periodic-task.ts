/**
 * Runs `pass` now, then again after the delay it returns, until stopped. A pass never overlaps
 * the previous one; `stop()` waits for the one under way. Passes handle their own errors.
 */
export function startPeriodicTask(pass: () => Promise<number>) {
	let timer: NodeJS.Timeout | undefined;
	let stopped = false;
	let running: Promise<void> = Promise.resolve();

	const tick = () => {
		running = pass().then((delayMs) => {
			if (!stopped) timer = setTimeout(tick, delayMs);
		});
	};
	tick();
	return {
		async stop() {
			stopped = true;
			if (timer) clearTimeout(timer);
			await running;
		},
	};
}
