import postgres from 'postgres';
import type { ListenHandlers } from './database.js';

export interface ListenerOptions {
	url: string;
	connectTimeoutSeconds: number;
	/** Seconds to wait before the n-th attempt to listen again. */
	backoff: (attempt: number) => number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * LISTEN on a connection of its own. postgres.js's `sql.listen` subscribes again after a drop but
 * never says it dropped, and a cache that missed a notification must know it did: here every
 * loss is told (`listening(false)`) before the subscription is tried again.
 */
export async function listenOnOwnConnection(
	options: ListenerOptions,
	channel: string,
	handlers: ListenHandlers,
): Promise<() => Promise<void>> {
	let stopped = false;
	let up = false;
	let closes = 0;
	let subscribing: Promise<void> | undefined;

	// onnotify is not in the driver's typings (hence no object literal here), but its own listen uses it
	const driverOptions = {
		max: 1,
		// the driver would otherwise recycle the connection every 30 to 60 minutes, and each time
		// the cache would empty
		max_lifetime: null,
		fetch_types: false,
		connect_timeout: options.connectTimeoutSeconds,
		onnotice: () => {},
		onnotify: (name: string, payload: string) => {
			if (name === channel) handlers.notify(payload);
		},
		onclose: () => {
			closes += 1;
			if (up) {
				up = false;
				handlers.listening(false);
			}
			if (!stopped) void subscribe();
		},
	};
	const sql = postgres(options.url, driverOptions);

	async function attempt(): Promise<void> {
		for (let failures = 0; !stopped; failures += 1) {
			const closesBefore = closes;
			try {
				await sql.unsafe(`LISTEN "${channel.replaceAll('"', '""')}"`);
				if (stopped) return;
				// a connection that closed since is not listening, whatever LISTEN answered
				if (closes === closesBefore) {
					up = true;
					handlers.listening(true);
					return;
				}
			} catch {
				// the server is down or refused: try again after the backoff
			}
			await sleep(options.backoff(failures) * 1000);
		}
	}

	function subscribe(): Promise<void> {
		subscribing ??= attempt().finally(() => (subscribing = undefined));
		return subscribing;
	}

	await subscribe();
	return async () => {
		stopped = true;
		up = false;
		await sql.end({ timeout: 5 });
	};
}
