import fp from 'fastify-plugin';

/**
 * Statuses after which the vault closes the connection: a caller that sends a wrong token, too
 * large a body or too many requests does not keep a socket (a descriptor) to try again on.
 */
const CLOSE_AFTER = new Set([401, 413, 429]);

/**
 * Headers on every answer: never framed (clickjacking), no MIME sniffing, no Referer. A response
 * without its own Content-Security-Policy gets one that allows nothing: JSON needs none, and the
 * pages that need more (the connect pages, /docs) set theirs. Nothing is cached (RFC 9111
 * §5.2.2.5 `no-store`): credentials, a token shown once and connect links travel in JSON answers,
 * and a copy kept by a browser or proxy would outlive their rotation or revocation. An answer that
 * sets its own Cache-Control keeps it.
 */
export default fp(
	async (fastify) => {
		fastify.addHook('onSend', async (_request, reply, payload) => {
			reply.header('x-frame-options', 'DENY');
			reply.header('x-content-type-options', 'nosniff');
			reply.header('referrer-policy', 'no-referrer');
			if (!reply.hasHeader('content-security-policy')) {
				reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
			}
			if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
			if (CLOSE_AFTER.has(reply.statusCode)) reply.header('connection', 'close');
			return payload;
		});
	},
	{ name: 'security-headers' },
);
