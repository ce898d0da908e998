import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { VaultError } from '../../errors.js';
import { consoleDirectory, readConsoleFiles } from './console-files.js';

/**
 * The console's pages run only the vault's own script and style files: no inline script or
 * style, no eval, no other origin; only the vault's API is called; never framed (clickjacking).
 */
export const CONSOLE_CSP = [
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self'",
	"connect-src 'self'",
	"form-action 'self'",
	"base-uri 'none'",
	"frame-ancestors 'none'",
].join('; ');

const FILE_NAME = /^[a-z0-9-]+\.(html|js|css|svg)$/;

/**
 * GET /console/: the operator console (issue 15), a page that calls the /v1 routes with its
 * session cookie. Its files come from the build (`dist/console/`); a vault started from an
 * unbuilt tree answers 503 with what to run.
 */
const consoleAssets: FastifyPluginAsync = async (fastify) => {
	const directory = consoleDirectory();
	const files = directory ? readConsoleFiles(directory) : new Map();
	const hide = { schema: { hide: true } };

	fastify.get('/console', hide, async (_request, reply) => reply.redirect('/console/', 302));
	const serve = async (name: string, reply: FastifyReply) => {
		if (!directory)
			throw new VaultError('CONSOLE_NOT_BUILT', 'The console is not built: run npm run build');
		const file = FILE_NAME.test(name) ? files.get(name) : undefined;
		if (!file) throw new VaultError('NOT_FOUND', 'No such console file');
		reply.header('content-security-policy', CONSOLE_CSP);
		reply.header('content-type', file.contentType);
		return reply.send(file.body);
	};
	fastify.get('/console/', hide, async (_request, reply) => serve('index.html', reply));
	fastify.get<{ Params: { file: string } }>('/console/:file', hide, async (request, reply) =>
		serve(request.params.file, reply),
	);
};

export default consoleAssets;
