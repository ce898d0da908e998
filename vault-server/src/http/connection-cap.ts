import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const REFUSAL_BODY = JSON.stringify({
	statusCode: 429,
	code: 'RATE_LIMITED',
	message: 'Too many open connections from this address',
});
const REFUSAL =
	'HTTP/1.1 429 Too Many Requests\r\n' +
	'content-type: application/json; charset=utf-8\r\n' +
	`content-length: ${Buffer.byteLength(REFUSAL_BODY)}\r\n` +
	'connection: close\r\n\r\n' +
	REFUSAL_BODY;
/**
 * How long a refused socket may take to read the refusal before it is dropped: a deadline from the
 * refusal, whatever the peer sends meanwhile (an idle timeout would never fire for a peer that
 * trickles a byte now and then, and refused sockets are not counted against the cap).
 */
const REFUSAL_LINGER_MS = 5_000;

/**
 * Caps the sockets one peer address may hold open on `server` at `max` (0: no cap). A socket over
 * the cap never reaches the HTTP parser, so no request on it runs: it gets one fixed 429
 * RATE_LIMITED answer with `connection: close`, whatever it sends is discarded, and it is dropped
 * once the peer closes or REFUSAL_LINGER_MS after the refusal, whichever comes first. The peer is the TCP peer, not X-Forwarded-For:
 * behind a proxy every socket comes from the proxy (see TRUST_PROXY in the README).
 */
export function capConnectionsPerAddress(server: Server, max: number): void {
	if (max <= 0) return;
	const open = new Map<string, number>();
	const parse = server.listeners('connection') as ((socket: Socket) => void)[];
	server.removeAllListeners('connection');
	server.on('connection', (socket: Socket) => {
		const address = socket.remoteAddress ?? '';
		const count = open.get(address) ?? 0;
		if (count >= max) {
			refuse(socket);
			return;
		}
		open.set(address, count + 1);
		socket.once('close', () => {
			const left = (open.get(address) ?? 1) - 1;
			if (left > 0) open.set(address, left);
			else open.delete(address);
		});
		for (const listener of parse) listener.call(server, socket);
	});
}

/** Answers `socket` with REFUSAL, discards what it sends, and destroys it by the deadline. */
function refuse(socket: Socket): void {
	const deadline = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
	deadline.unref();
	socket.once('close', () => clearTimeout(deadline));
	socket.on('error', () => socket.destroy());
	socket.on('end', () => socket.destroy());
	socket.resume();
	socket.end(REFUSAL);
}
