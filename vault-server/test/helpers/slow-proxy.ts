import { connect, createServer, type Server } from 'node:net';

/** A TCP proxy to the PostgreSQL of `databaseUrl` that holds each new connection back for `delayMs`. */
export function slowProxy(databaseUrl: string, delayMs: number): Promise<Server> {
	const target = new URL(databaseUrl);
	const server = createServer((socket) => {
		socket.on('error', () => {});
		setTimeout(() => {
			const upstream = connect(Number(target.port || 5432), target.hostname);
			upstream.on('error', () => socket.destroy());
			socket.pipe(upstream).pipe(socket);
		}, delayMs);
	});
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** `databaseUrl` with its host replaced by the proxy's. */
export function proxiedUrl(proxy: Server, databaseUrl: string): string {
	const url = new URL(databaseUrl);
	url.host = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
	return url.toString();
}
