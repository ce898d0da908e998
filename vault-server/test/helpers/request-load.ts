import { vi } from 'vitest';
import { admin, internal } from './vault-http.js';

export type RequestKind = 'store' | 'fetch' | 'create';

/** One request the load made: `status` 0 when no answer came (connection closed or timed out). */
export interface Outcome {
	kind: RequestKind;
	worker: number;
	seq: number;
	/** Sent as X-N8N-Execution-Id, so the request's audit row can be found. */
	marker: string;
	status: number;
	code?: string;
	startedAt: number;
	ms: number;
}

export { admin, internal };
export const clientOf = (worker: number) => `load-${worker}`;
export const apiKeyOf = (worker: number, seq: number) => `sk-load-${worker}-${seq}`;
export const seqOfApiKey = (apiKey: string) => Number(apiKey.split('-').at(-1));

const REQUEST_TIMEOUT_MS = 15_000;
/** Several requests per loop, each within REQUEST_TIMEOUT_MS, on a busy machine. */
const LOAD_WAIT_BOUND_MS = 120_000;

/**
 * Writes and fetches from `workers` loops until stopped. Each loop owns the client `load-<w>` and
 * its `openai` connection: it stores the API key `sk-load-<w>-<seq>`, fetches it back, and every
 * fifth round creates a new client. Every answer is recorded, so a test can check afterwards that
 * what was acknowledged was kept and audited.
 */
export class RequestLoad {
	readonly outcomes: Outcome[] = [];
	#stopped = false;
	#loops: Promise<void>[] = [];

	constructor(
		/** Where the vault is now (a test may restart it on another port). */
		private readonly baseUrl: () => string,
		private readonly workers: number,
	) {}

	/** Creates the loops' clients and first connections, then starts the loops. */
	async start() {
		for (let worker = 0; worker < this.workers; worker += 1) {
			await this.#send(
				'POST',
				'/v1/clients',
				{ id: clientOf(worker), name: `Load ${worker}` },
				'setup',
			);
			await this.#store(worker, 0);
		}
		this.#loops = Array.from({ length: this.workers }, (_unused, worker) => this.#loop(worker));
	}

	async stop() {
		this.#stopped = true;
		await Promise.all(this.#loops);
	}

	acknowledged(kind?: RequestKind) {
		return this.outcomes.filter(
			(o) => o.status >= 200 && o.status < 300 && (!kind || o.kind === kind),
		);
	}

	/**
	 * Resolves once `count` more requests have been answered (or failed); rejects when they have
	 * not after LOAD_WAIT_BOUND_MS, a bound against a stuck load on a busy machine.
	 */
	async waitFor(count: number) {
		const target = this.outcomes.length + count;
		await vi.waitFor(
			() => {
				if (this.outcomes.length < target && !this.#stopped)
					throw new Error(`${this.outcomes.length} of ${target} requests answered`);
			},
			{ timeout: LOAD_WAIT_BOUND_MS, interval: 20 },
		);
	}

	async #loop(worker: number) {
		for (let seq = 1; !this.#stopped; seq += 1) {
			await this.#store(worker, seq);
			await this.#record('fetch', worker, seq, 'GET', `/v1/credentials/${clientOf(worker)}/openai`);
			if (seq % 5 === 0) {
				const id = `new-${worker}-${seq}`;
				await this.#record('create', worker, seq, 'POST', '/v1/clients', { id, name: id });
			}
		}
	}

	#store(worker: number, seq: number) {
		const path = `/v1/clients/${clientOf(worker)}/connections/openai`;
		return this.#record('store', worker, seq, 'PUT', path, { api_key: apiKeyOf(worker, seq) });
	}

	async #record(
		kind: RequestKind,
		worker: number,
		seq: number,
		method: string,
		path: string,
		body?: unknown,
	) {
		const marker = `${kind}-${worker}-${seq}`;
		const startedAt = Date.now();
		const answer = await this.#send(method, path, body, marker);
		this.outcomes.push({
			kind,
			worker,
			seq,
			marker,
			...answer,
			startedAt,
			ms: Date.now() - startedAt,
		});
	}

	async #send(method: string, path: string, body: unknown, marker: string) {
		try {
			const response = await fetch(`${this.baseUrl()}${path}`, {
				method,
				headers: { ...(method === 'GET' ? internal : admin), 'x-n8n-execution-id': marker },
				body: body === undefined ? undefined : JSON.stringify(body),
				signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
			});
			const json = (await response.json().catch(() => ({}))) as { code?: string };
			return { status: response.status, code: json.code };
		} catch {
			// the vault closed the connection (killed) or did not answer in time
			await new Promise((r) => setTimeout(r, 20));
			return { status: 0 };
		}
	}
}
