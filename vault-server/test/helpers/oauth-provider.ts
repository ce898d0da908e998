import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { OAuth2Server } from 'oauth2-mock-server';

interface Authorization {
	clientId: string | undefined;
	redirectUri: string | undefined;
	challenge: string | undefined;
	used: boolean;
}

type TokenRequest = IncomingMessage & { body: Record<string, string> };

/**
 * oauth2-mock-server as a stricter authorization server. It checks a PKCE verifier against the
 * challenge when one is sent; on top of that this wrapper refuses (invalid_grant) a code redeemed
 * twice (RFC 6749 §4.1.2), with another redirect_uri or client (§4.1.3), or without the verifier
 * its authorization had a challenge for (RFC 7636 §4.6), and a wrong client secret (§3.2.1).
 * It remembers every code, token and token request, for the tests to search for.
 */
export class TestProvider {
	readonly authorizations = new Map<string, Authorization>();
	readonly tokenRequests: Record<string, string>[] = [];
	readonly issued: string[] = [];

	private constructor(
		readonly server: OAuth2Server,
		readonly clientId: string,
		readonly clientSecret: string,
	) {}

	static async start(clientId: string, clientSecret: string): Promise<TestProvider> {
		const server = new OAuth2Server();
		await server.issuer.keys.generate('RS256');
		await server.start(0, '127.0.0.1');
		const provider = new TestProvider(server, clientId, clientSecret);
		provider.#enforce();
		return provider;
	}

	get origin(): string {
		return `http://127.0.0.1:${this.server.address().port}`;
	}

	get authorizeUrl(): string {
		return `${this.origin}/authorize`;
	}

	get tokenUrl(): string {
		return `${this.origin}/token`;
	}

	stop(): Promise<void> {
		return this.server.stop();
	}

	#enforce() {
		const service = this.server.service;
		// two tokens signed in the same second would otherwise be the same JWT
		service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
			token.payload.jti = randomUUID();
		});
		service.on('beforeAuthorizeRedirect', (redirect: { url: URL }, req: IncomingMessage) => {
			const query = new URL(req.url ?? '/', this.origin).searchParams;
			const code = redirect.url.searchParams.get('code');
			if (!code) return;
			this.authorizations.set(code, {
				clientId: query.get('client_id') ?? undefined,
				redirectUri: query.get('redirect_uri') ?? undefined,
				challenge: query.get('code_challenge') ?? undefined,
				used: false,
			});
		});
		service.on(
			'beforeResponse',
			(response: { body: unknown; statusCode: number }, req: TokenRequest) => {
				const body = req.body;
				this.tokenRequests.push({ ...body });
				const refusal = this.#refusal(body);
				if (refusal) {
					response.statusCode = 400;
					response.body = { error: 'invalid_grant', error_description: refusal };
					return;
				}
				const answer = response.body as { access_token: string; refresh_token?: string };
				this.issued.push(
					answer.access_token,
					...(answer.refresh_token ? [answer.refresh_token] : []),
				);
			},
		);
	}

	#refusal(body: Record<string, string>): string | undefined {
		if (body.client_id !== this.clientId || body.client_secret !== this.clientSecret)
			return 'client authentication failed';
		if (body.grant_type !== 'authorization_code') return undefined;
		const authorization = this.authorizations.get(body.code ?? '');
		if (!authorization) return 'unknown code';
		if (authorization.used) return 'code already used';
		authorization.used = true;
		if (authorization.clientId !== body.client_id) return 'code issued to another client';
		if (authorization.redirectUri !== body.redirect_uri) return 'redirect_uri differs';
		if (authorization.challenge && !body.code_verifier) return 'code_verifier missing';
		return undefined;
	}
}
