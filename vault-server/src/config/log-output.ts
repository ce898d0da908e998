import pretty from 'pino-pretty';
import type { Config } from './config.js';

/**
 * How `serve` writes its log: readable lines on a terminal, one JSON object per line otherwise
 * (what log collectors read). LOG_FORMAT=json|pretty forces one.
 */
export function logFormatFor(format: Config['logFormat'], stdoutIsTerminal: boolean) {
	if (format !== 'auto') return format;
	return stdoutIsTerminal ? 'pretty' : 'json';
}

/**
 * A stream that turns pino's JSON lines into readable ones on stdout (pino-pretty), written
 * synchronously so the last lines are not lost when the process exits. Redaction happens before
 * (pino's redact paths), so it sees no secret.
 */
export function prettyLogStream(colour: boolean): NodeJS.WritableStream {
	return pretty({
		colorize: colour,
		sync: true,
		translateTime: 'SYS:HH:MM:ss',
		ignore: 'pid,hostname',
	});
}
