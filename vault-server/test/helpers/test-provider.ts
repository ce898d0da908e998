import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../provider/test-provider.mjs', import.meta.url));

export type ProviderMode =
	| 'ok'
	| 'slow'
	| 'error500'
	| 'error429'
	| 'error503'
	| 'invalid_grant'
	| 'garbage'
	| 'error200'
	| 'hang'
	| 'reset';

export interface ProviderControl {
	mode?: ProviderMode;
	delayMs?: number;
	rotate?: boolean;
	expiresIn?: number | null;
	omitRefreshToken?: boolean;
	/** The provider's clock runs this far from ours (its Date header and `issued_at`). */
	clockOffsetSeconds?: number;
	/** The Retry-After header of error429 and error503 answers (default '2'); null: none. */
	retryAfter?: string | null;
	/** Pads each token answer to exactly this many bytes (JSON); null: no padding. */
	answerBytes?: number | null;
	/** Fields merged into each token answer (and replacing the standard ones of the same name). */
	answerExtra?: Record<string, unknown>;
	/** Token answers without a top-level access_token (a Slack user-scope install). */
	omitAccessToken?: boolean;
	/** authorization_code grants also get a refresh token the provider then accepts. */
	codeRefreshToken?: boolean;
	/** Every token call gets this answer (a provider's documented error answer); null: off. */
	scripted?: ScriptedAnswer | null;
	/** The answer to wrong client credentials (default 401 invalid_client); null: the default. */
	clientRefusal?: ScriptedAnswer | null;
	/** The OAuth app the provider accepts (default vault-app / vault-app-secret). */
	clientId?: string;
	clientSecret?: string;
}

/** An HTTP answer of the test provider's token endpoint, as a real provider gives it. */
export interface ScriptedAnswer {
	status: number;
	headers?: Record<string, string>;
	body: unknown;
}

/** The misbehaving OAuth2 provider of test/provider, running as a process of its own. */
export class TestProvider {
	private constructor(
		private readonly child: ChildProcess,
		readonly baseUrl: string,
	) {}

	static async start(): Promise<TestProvider> {
		const child = spawn(process.execPath, [SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
		const firstLine = await new Promise<string>((resolve, reject) => {
			createInterface({ input: child.stdout! }).once('line', resolve);
			child.once('exit', (code) => reject(new Error(`test provider exited with ${code}`)));
		});
		const { port } = JSON.parse(firstLine) as { port: number };
		return new TestProvider(child, `http://127.0.0.1:${port}`);
	}

	get tokenUrl() {
		return `${this.baseUrl}/token`;
	}

	/** A test_url: answers 200 to any GET, counted as `testCalls`. */
	get testUrl() {
		return `${this.baseUrl}/me`;
	}

	async control(settings: ProviderControl) {
		await this.#post('/_control', settings);
	}

	async allowRefreshToken(token: string) {
		await this.#post('/_refresh-tokens', { token });
	}

	async stats(): Promise<{
		tokenCalls: number;
		testCalls: number;
		grants: Record<string, number>;
		/** The `scope` parameter of the last token call, null when it had none. */
		lastScope: string | null;
		validRefreshTokens: number;
	}> {
		return (await fetch(`${this.baseUrl}/_stats`)).json() as never;
	}

	async resetStats() {
		await this.#post('/_reset-stats', {});
	}

	async stop() {
		this.child.kill('SIGTERM');
	}

	async #post(path: string, body: unknown) {
		const response = await fetch(`${this.baseUrl}${path}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		if (!response.ok) throw new Error(`test provider ${path}: ${response.status}`);
	}
}
