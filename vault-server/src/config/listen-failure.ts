import type { Config } from './config.js';

/** The variables that choose a port the vault listens on. */
export type PortVariable = 'PORT' | 'METRICS_PORT';

/** Node's codes for a listener that cannot be opened because of HOST or a port's value. */
const LISTEN_CODES = new Set([
	'EADDRINUSE',
	'EADDRNOTAVAIL',
	'EACCES',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EAI_NONAME',
	'EAI_FAIL',
]);

/** Whether `error` is a listener's failure that listenFailureMessage can explain. */
export function isListenError(error: unknown): error is NodeJS.ErrnoException {
	return LISTEN_CODES.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** A listener that did not open: which variable chose its port, and Node's error. */
export class ListenFailed extends Error {
	constructor(
		readonly variable: PortVariable,
		readonly port: number,
		readonly error: NodeJS.ErrnoException,
	) {
		super(`${variable} ${port}: ${error.message}`);
		this.name = 'ListenFailed';
	}
}

type ListenSettings = Pick<Config, 'host' | 'sources'>;

const originOf = (config: ListenSettings, variable: string): string =>
	config.sources[variable] === undefined ? 'the default' : `set in ${config.sources[variable]}`;

/**
 * One line for a listener that did not open, naming HOST or the port's variable (whichever the
 * operator must change) and where each was set: the environment, a `.env` file or a flag.
 */
export function listenFailureMessage(
	config: ListenSettings,
	variable: PortVariable,
	port: number,
	error: NodeJS.ErrnoException,
): string {
	const host = `HOST ${config.host} (${originOf(config, 'HOST')})`;
	const portText = `${variable} ${port} (${originOf(config, variable)})`;
	switch (error.code) {
		case 'EADDRINUSE':
			return (
				`${variable} ${port} on ${config.host} is already in use by another process ` +
				`(${variable} ${config.sources[variable] === undefined ? 'is the default' : originOf(config, variable)}): ` +
				'stop it, or choose a free port'
			);
		case 'EACCES':
			return (
				`${portText} on ${config.host} may not be listened on by this user: ports below 1024 ` +
				'need privileges; choose a higher port'
			);
		case 'EADDRNOTAVAIL':
			return (
				`${host} is not an address of this machine, so ${variable} ${port} cannot be listened ` +
				'on there: set HOST to one of its addresses (127.0.0.1, or 0.0.0.0 for every interface)'
			);
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
		case 'EAI_NONAME':
		case 'EAI_FAIL':
			return (
				`${host} cannot be listened on: no address is known for that name (${error.code}); ` +
				'set HOST to an address of this machine, e.g. 127.0.0.1'
			);
		default:
			return `${portText} on ${host} cannot be listened on (${error.code ?? error.message})`;
	}
}
