/**
 * One HTTP request to a provider (token endpoint or test URL) over node:http/https, connected
 * only to an address the PROVIDER_PRIVATE_ADDRESSES policy allows. The check runs inside the
 * socket's own DNS lookup (every address the name resolves to, RFC 6724 order kept), so the
 * address checked is the address connected to: a DNS answer that changes between a check and
 * the connection (DNS rebinding) cannot slip past. IP literals skip the lookup and are checked
 * before the request. No redirect is followed (a 3xx is returned as it is), the whole exchange
 * is bounded by `timeoutMs`, and at most `maxBytes` of the answer are read.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import {
	isPrivateAddress,
	privateAddressReason,
	type PrivateAddressPolicy,
} from './address-policy.js';

export interface ProviderRequest {
	method: 'GET' | 'POST';
	headers: Record<string, string>;
	body?: string;
	/** The whole exchange, connection to the answer's last byte, in milliseconds. */
	timeoutMs: number;
	/** The answer's body is read up to this many bytes; 0 discards it unread. */
	maxBytes: number;
	privateAddresses: PrivateAddressPolicy;
	/** The URL's role in a refusal's reason, e.g. `the token URL`. */
	role: string;
}

export interface ProviderAnswer {
	status: number;
	headers: Headers;
	text: string;
}

/** Why a provider request got no answer: each carries a reason safe to store (no body, no secret). */
export type ProviderCallProblem = 'private_address' | 'timeout' | 'too_large' | 'network';

export class ProviderCallError extends Error {
	constructor(
		readonly problem: ProviderCallProblem,
		message: string,
		/** For `network`: the system's error code (ECONNREFUSED, ENOTFOUND, ...), when it gave one. */
		readonly systemCode?: string,
	) {
		super(message);
		this.name = 'ProviderCallError';
	}
}

/** A lookup's refusal: the name resolved (also) to this private address. */
class PrivateAddressRefusal extends Error {
	constructor(readonly address: string) {
		super('private address');
	}
}

/** A socket lookup that resolves every address and refuses the name if any is private. */
const checkedLookup: LookupFunction = (hostname, options, callback) => {
	const all: LookupAllOptions = { ...options, all: true };
	dnsLookup(hostname, all, (error, addresses: LookupAddress[]) => {
		if (error) return callback(error, '', 4);
		const refused = addresses.find((entry) => isPrivateAddress(entry.address));
		if (refused) return callback(new PrivateAddressRefusal(refused.address), '', 4);
		if (options.all)
			return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
		callback(null, addresses[0]!.address, addresses[0]!.family);
	});
};

/**
 * Connection pools of their own for `refuse`: a kept-alive socket was checked when it connected,
 * and no socket opened without the check (a self test_url, another policy) is ever reused.
 */
const REFUSING_AGENTS = {
	http: new HttpAgent({ keepAlive: true, lookup: checkedLookup }),
	https: new HttpsAgent({ keepAlive: true, lookup: checkedLookup }),
};

function headersOf(response: IncomingMessage): Headers {
	const headers = new Headers();
	for (const [name, value] of Object.entries(response.headers)) {
		if (value === undefined) continue;
		for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
	}
	return headers;
}

async function readAnswer(response: IncomingMessage, maxBytes: number): Promise<string> {
	if (maxBytes === 0) {
		response.destroy();
		return '';
	}
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of response as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > maxBytes) {
			response.destroy();
			throw new ProviderCallError('too_large', 'the answer is too large');
		}
		chunks.push(chunk);
	}
	return Buffer.concat(chunks).toString('utf8');
}

/**
 * Sends one request to `url` and resolves with its status, headers and (bounded) body. Throws a
 * ProviderCallError: `private_address` (policy refuse, nothing sent), `timeout`, `too_large`,
 * or `network` (refused, reset, TLS or DNS failure).
 */
export async function providerRequest(url: URL, request: ProviderRequest): Promise<ProviderAnswer> {
	const refusePrivate = request.privateAddresses === 'refuse';
	if (refusePrivate && isPrivateAddress(url.hostname))
		throw new ProviderCallError(
			'private_address',
			privateAddressReason(request.role, url.hostname.replace(/^\[(.*)\]$/, '$1')),
		);
	const signal = AbortSignal.timeout(request.timeoutMs);
	const https = url.protocol === 'https:';
	const send = https ? httpsRequest : httpRequest;
	try {
		return await new Promise<ProviderAnswer>((resolve, reject) => {
			const outgoing = send(url, {
				method: request.method,
				headers: {
					'user-agent': 'otobot-vault',
					...request.headers,
					...(request.body === undefined
						? {}
						: { 'content-length': String(Buffer.byteLength(request.body)) }),
				},
				signal,
				...(refusePrivate ? { agent: REFUSING_AGENTS[https ? 'https' : 'http'] } : {}),
			});
			outgoing.on('error', reject);
			outgoing.on('response', (response) => {
				readAnswer(response, request.maxBytes).then(
					(text) =>
						resolve({ status: response.statusCode ?? 0, headers: headersOf(response), text }),
					reject,
				);
			});
			outgoing.end(request.body);
		});
	} catch (error) {
		if (error instanceof ProviderCallError) throw error;
		if (error instanceof PrivateAddressRefusal)
			throw new ProviderCallError(
				'private_address',
				privateAddressReason(request.role, error.address),
			);
		if (signal.aborted)
			throw new ProviderCallError('timeout', `timeout after ${request.timeoutMs} ms`);
		const code = (error as NodeJS.ErrnoException).code;
		throw new ProviderCallError(
			'network',
			'network error',
			typeof code === 'string' ? code : undefined,
		);
	}
}
