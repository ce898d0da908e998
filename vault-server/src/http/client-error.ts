import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ErrorCode } from '../errors.js';

/** What Node's parser reports, as status, code and message: a timeout, oversize headers, else 400. */
const ANSWERS: Record<string, [status: number, code: ErrorCode, message: string]> = {
	ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive'],
	HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'The request headers are too large'],
};
const MALFORMED: [number, ErrorCode, string] = [
	400,
	'VALIDATION_FAILED',
	'The request is not valid HTTP (a malformed request line or header, e.g. a control character)',
];

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses before Fastify sees it (a
 * control byte in a header, a malformed request line, headers over the size limit, a request that
 * trickled past REQUEST_TIMEOUT_SECONDS) is answered in the vault's `{statusCode, code, message}`
 * shape instead of Fastify's `{error, message: "Client Error"}`, then the socket is closed. The
 * parser's own words (which may quote the request) are not echoed. A reset socket gets nothing.
 */
export function clientError(error: Error & { code?: string }, socket: Socket): void {
	if (error.code === 'ECONNRESET' || socket.destroyed) return;
	const [status, code, message] = (error.code && ANSWERS[error.code]) || MALFORMED;
	const body = JSON.stringify({ statusCode: status, code, message });
	if (socket.writable) {
		socket.write(
			`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
				'content-type: application/json; charset=utf-8\r\n' +
				`content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
		);
	}
	socket.destroy();
}
