// The API a workflow calls with the client's token: answers 200 only to a bearer token it
// currently accepts, and records every token it was shown. It is also the services' OAuth2
// token endpoint.
import { createServer } from 'node:http';

export const REVOKED_GRANT = 'revoked-grant';

/**
 * A token endpoint (RFC 6749 section 6): refreshes every grant but the revoked one, answering
 * that with invalid_grant (section 5.2). A token it issues is accepted by the API from then on.
 */
async function tokenEndpoint(req, res, state) {
	let body = '';
	for await (const chunk of req) body += chunk;
	const form = new URLSearchParams(body);
	state.tokenRequests += 1;
	res.setHeader('content-type', 'application/json');
	if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') === REVOKED_GRANT) {
		res.statusCode = 400;
		return res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'revoked' }));
	}
	const accessToken = `ya29.refreshed-${state.tokenRequests}`;
	state.accepted.add(accessToken);
	res.end(JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600 }));
}

export async function startTestApi() {
	const state = { accepted: new Set(), seen: [], tokenRequests: 0 };
	const server = createServer((req, res) => {
		if (req.method === 'POST' && req.url === '/oauth/token') {
			return void tokenEndpoint(req, res, state);
		}
		const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
		state.seen.push(token);
		const ok = token !== null && state.accepted.has(token);
		res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
		res.end(
			JSON.stringify(ok ? { ok: true, path: req.url } : { ok: false, error: 'invalid_token' }),
		);
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${server.address().port}`,
		/** Accept exactly these tokens from now on. */
		accept: (...tokens) => {
			state.accepted = new Set(tokens);
		},
		seen: state.seen,
		tokenRequests: () => state.tokenRequests,
		stop: () => new Promise((resolve) => server.close(resolve)),
	};
}
