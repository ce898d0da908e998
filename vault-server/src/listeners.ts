import { createServer, type Server } from 'node:net';
import { ConfigError, type Config } from './config/config.js';
import { listenFailureMessage, type PortVariable } from './config/listen-failure.js';

function bind(host: string, port: number): Promise<Server> {
	return new Promise((resolve, reject) => {
		// a client that connects meanwhile (a health check, a scraper) is turned away at once: an
		// open connection would keep close() in release waiting
		const server = createServer((socket) => socket.destroy());
		server.once('error', reject);
		server.listen({ host, port }, () => {
			server.off('error', reject);
			resolve(server);
		});
	});
}

/**
 * Binds HOST with PORT and METRICS_PORT before the database is touched and holds them while the
 * vault opens, so an unknown host, an address this machine lacks or a busy port is refused in
 * one line (ConfigError) before migrations run or a token is minted. Returns the function that
 * releases them, to be called right before the servers listen. Port 0 checks HOST alone.
 */
export async function reserveListeners(
	config: Pick<Config, 'host' | 'port' | 'metricsPort' | 'sources'>,
): Promise<() => Promise<void>> {
	const held: Server[] = [];
	const release = async () => {
		await Promise.all(
			held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
		);
	};
	const ports: [PortVariable, number | undefined][] = [
		['PORT', config.port],
		['METRICS_PORT', config.metricsPort],
	];
	for (const [variable, port] of ports) {
		if (port === undefined) continue;
		try {
			held.push(await bind(config.host, port));
		} catch (error) {
			await release();
			throw new ConfigError(
				listenFailureMessage(config, variable, port, error as NodeJS.ErrnoException),
			);
		}
	}
	return release;
}
