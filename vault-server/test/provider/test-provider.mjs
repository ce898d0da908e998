// A small OAuth2 token endpoint that misbehaves on request, run as its own process by the tests.
// It prints {"port": N} on its first stdout line. Control it over HTTP:
//   POST /_control {"mode": ..., "delayMs": n, "rotate": bool, "expiresIn": n|null, "omitRefreshToken": bool,
//                   "clockOffsetSeconds": n (its Date header and Salesforce-style issued_at run that far off),
//                   "acceptAnyRefreshToken": bool (the benchmark's mass refreshes),
//                   "retryAfter": string|null (the Retry-After header of error429 and error503),
//                   "answerBytes": n|null (a token answer padded to exactly n bytes),
//                   "answerExtra": {...} (fields merged into each token answer: Salesforce's
//                   instance_url, Slack's authed_user, a JSON-array scope, a CR/LF token_type...),
//                   "omitAccessToken": bool (no top-level access_token, as a Slack user-scope install),
//                   "codeRefreshToken": bool (authorization_code grants get a valid refresh token)}
//                   "scripted": {status, headers, body}|null (every token call gets this answer, as a
//                               real provider's documented error answer),
//                   "clientRefusal": {status, headers, body}|null (the answer to wrong client
//                               credentials; default 401 {"error": "invalid_client"}),
//                   "clientId", "clientSecret" (the OAuth app it accepts)}
//   POST /_refresh-tokens {"token": "..."}  makes a refresh token valid
//   GET  /_stats                            {tokenCalls, testCalls, grants: {...}, lastScope}
//                                           (lastScope: the scope parameter of the last token call)
//   GET  /me                                a service's test_url: 200 {"ok": true}, counted as testCalls
// Modes: ok, slow (answers after delayMs), error500, error429, error503, invalid_grant, garbage,
// error200, hang (never answers), reset (destroys the socket).
// With rotate=true every refresh token works once: the old one dies when the new one is delivered
// (as Xero and others do; a crash before delivery leaves the old one valid).
import { createServer } from 'node:http';

const state = {
	mode: 'ok',
	delayMs: 0,
	acceptAnyRefreshToken: false,
	rotate: false,
	expiresIn: 3600,
	omitRefreshToken: false,
	clockOffsetSeconds: 0,
	retryAfter: '2',
	answerBytes: null,
	answerExtra: {},
	omitAccessToken: false,
	codeRefreshToken: false,
	clientId: 'vault-app',
	clientSecret: 'vault-app-secret',
	scripted: null,
	clientRefusal: null,
};
const validRefreshTokens = new Set();
const stats = { tokenCalls: 0, testCalls: 0, grants: {}, lastScope: null };
let counter = 0;

const json = (res, status, body, headers = {}) => {
	res.writeHead(status, { 'content-type': 'application/json', ...headers });
	res.end(JSON.stringify(body));
};

const readBody = (req) =>
	new Promise((resolve) => {
		let data = '';
		req.on('data', (chunk) => (data += chunk));
		req.on('end', () => resolve(data));
	});

function parseParams(req, body) {
	if ((req.headers['content-type'] ?? '').includes('application/json'))
		return JSON.parse(body || '{}');
	return Object.fromEntries(new URLSearchParams(body));
}

function clientAuthenticated(req, params) {
	const basic = req.headers.authorization?.startsWith('Basic ')
		? Buffer.from(req.headers.authorization.slice(6), 'base64')
				.toString()
				.split(':')
				.map(decodeURIComponent)
		: undefined;
	const [id, secret] = basic ?? [params.client_id, params.client_secret];
	return id === state.clientId && secret === state.clientSecret;
}

/** The answer as JSON, padded with a `padding` field to exactly `answerBytes` bytes when set. */
function padded(answer) {
	const text = JSON.stringify(answer);
	if (state.answerBytes === null) return text;
	const room = state.answerBytes - Buffer.byteLength(text) - ',"padding":""'.length;
	if (room < 0) throw new Error(`answerBytes ${state.answerBytes} is too small`);
	return JSON.stringify({ ...answer, padding: 'x'.repeat(room) });
}

async function token(req, res) {
	stats.tokenCalls += 1;
	const params = parseParams(req, await readBody(req));
	stats.grants[params.grant_type] = (stats.grants[params.grant_type] ?? 0) + 1;
	stats.lastScope = params.scope ?? null;
	const answerWith = ({ status, headers = {}, body }) =>
		json(res, status, body, { date: new Date().toUTCString(), ...headers });
	if (state.scripted) return answerWith(state.scripted);
	if (state.mode === 'hang') return;
	if (state.mode === 'reset') return req.socket.destroy();
	if (state.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, state.delayMs));
	if (state.mode === 'error500') return json(res, 500, { error: 'server_error' });
	const retryAfter = state.retryAfter === null ? {} : { 'retry-after': state.retryAfter };
	if (state.mode === 'error429') return json(res, 429, { error: 'slow_down' }, retryAfter);
	if (state.mode === 'error503')
		return json(res, 503, { error: 'temporarily_unavailable' }, retryAfter);
	if (state.mode === 'garbage') {
		res.writeHead(200, { 'content-type': 'application/json' });
		return res.end('<html>not json');
	}
	if (state.mode === 'error200') return json(res, 200, { ok: false, error: 'internal_error' });
	if (!clientAuthenticated(req, params))
		return state.clientRefusal
			? answerWith(state.clientRefusal)
			: json(res, 401, { error: 'invalid_client' });
	if (state.mode === 'invalid_grant') return json(res, 400, { error: 'invalid_grant' });
	if (
		params.grant_type === 'refresh_token' &&
		!state.acceptAnyRefreshToken &&
		!validRefreshTokens.has(params.refresh_token)
	) {
		return json(res, 400, { error: 'invalid_grant' });
	}
	counter += 1;
	const answer = {
		access_token: `at-${counter}-${Math.random().toString(36).slice(2)}`,
		token_type: 'Bearer',
	};
	if (state.expiresIn !== null) answer.expires_in = state.expiresIn;
	const providerNow = Date.now() + state.clockOffsetSeconds * 1000;
	if (state.clockOffsetSeconds) answer.issued_at = String(providerNow);
	let rotatedFrom;
	if (params.grant_type === 'refresh_token' && state.rotate && !state.omitRefreshToken) {
		answer.refresh_token = `rt-${counter}-${Math.random().toString(36).slice(2)}`;
		validRefreshTokens.add(answer.refresh_token);
		rotatedFrom = params.refresh_token;
	}
	if (params.grant_type === 'authorization_code' && state.codeRefreshToken) {
		answer.refresh_token = `rt-${counter}-${Math.random().toString(36).slice(2)}`;
		validRefreshTokens.add(answer.refresh_token);
	}
	Object.assign(answer, state.answerExtra);
	if (state.omitAccessToken) delete answer.access_token;
	res.writeHead(200, {
		'content-type': 'application/json',
		date: new Date(providerNow).toUTCString(),
	});
	res.end(padded(answer), () => {
		if (rotatedFrom) validRefreshTokens.delete(rotatedFrom);
	});
}

const server = createServer(async (req, res) => {
	try {
		if (req.method === 'POST' && req.url === '/token') return await token(req, res);
		if (req.method === 'GET' && req.url === '/me') {
			stats.testCalls += 1;
			return json(res, 200, { ok: true });
		}
		if (req.method === 'POST' && req.url === '/_control') {
			Object.assign(state, JSON.parse(await readBody(req)));
			return json(res, 200, state);
		}
		if (req.method === 'POST' && req.url === '/_refresh-tokens') {
			validRefreshTokens.add(JSON.parse(await readBody(req)).token);
			return json(res, 200, { ok: true });
		}
		if (req.method === 'GET' && req.url === '/_stats')
			return json(res, 200, { ...stats, validRefreshTokens: validRefreshTokens.size });
		if (req.method === 'POST' && req.url === '/_reset-stats') {
			stats.tokenCalls = 0;
			stats.testCalls = 0;
			stats.grants = {};
			stats.lastScope = null;
			return json(res, 200, stats);
		}
		json(res, 404, { error: 'not_found' });
	} catch {
		json(res, 400, { error: 'invalid_request' });
	}
});

server.listen(0, '127.0.0.1', () => {
	process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
