import type { Config } from '../config/config.js';
import { serve } from '../server.js';

/** `otobot-vault serve [--port N] [--host H]`: the HTTP API, until SIGINT/SIGTERM. */
export async function serveCommand(config: Config): Promise<number> {
	await serve(config);
	// keep running: the server's own signal handlers end the process
	return new Promise<number>(() => {});
}
