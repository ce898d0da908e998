import { serve } from '../server.js';
import type { Command } from './commands.js';

export const serveCommand: Command = async (_args, config) => {
	await serve(config);
	// keep running: the server's own signal handlers end the process
	return new Promise<number>(() => {});
};
