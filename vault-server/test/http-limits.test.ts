import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WAIT_BOUND } from './helpers/bounds.js';
import { ADMIN_TOKEN, startTestVault, type TestVault } from './helpers/vault-app.js';

const TRICKLED_LENGTH = 1000;
const CAP = 40;

/** A raw socket from `localAddress` (any 127.x address on Linux), with what it received. */
interface RawSocket {
	socket: Socket;
	received: () => string;
	closed: Promise<void>;
	/** Body bytes written so far. */
	sent: () => number;
}

/** Every socket a test opened, destroyed after the tests whether the vault closed it or not. */
const opened = new Set<Socket>();

function open(port: number, localAddress: string, allowHalfOpen = false): Promise<RawSocket> {
	const socket = connect({ port, host: '127.0.0.1', localAddress, allowHalfOpen });
	opened.add(socket);
	let text = '';
	socket.on('data', (chunk) => (text += chunk.toString('latin1')));
	socket.on('error', () => {});
	const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
	return new Promise((resolve) =>
		socket.once('connect', () => resolve({ socket, received: () => text, closed, sent: () => 0 })),
	);
}

/** Complete headers of a POST with a 1,000-byte body, then one body byte every 500 ms. */
async function trickle(port: number, localAddress: string): Promise<RawSocket> {
	const raw = await open(port, localAddress);
	let sent = 0;
	raw.socket.write(
		'POST /v1/clients HTTP/1.1\r\nhost: vault\r\ncontent-type: application/json\r\n' +
			`authorization: Bearer ${ADMIN_TOKEN}\r\ncontent-length: ${TRICKLED_LENGTH}\r\n\r\n`,
	);
	const timer = setInterval(() => {
		if (raw.socket.writable) raw.socket.write(' ', () => (sent += 1));
	}, 500);
	void raw.closed.then(() => clearInterval(timer));
	return { ...raw, sent: () => sent };
}

/** Resolves once the vault closed `raw`, within WAIT_BOUND. */
const closedBy = (raw: RawSocket) =>
	vi.waitFor(() => expect(raw.socket.closed).toBe(true), WAIT_BOUND);

describe('slow and hoarding callers on a listening vault', () => {
	let vault: TestVault;
	let port: number;
	let base: string;
	beforeAll(async () => {
		vault = await startTestVault('pglite', {
			REQUEST_TIMEOUT_SECONDS: '4',
			MAX_CONNECTIONS_PER_ADDRESS: String(CAP),
			AUTH_FAILURE_LIMIT: '1',
		});
		await vault.app.listen({ host: '127.0.0.1', port: 0 });
		port = (vault.app.server.address() as AddressInfo).port;
		base = `http://127.0.0.1:${port}`;
	});
	afterAll(async () => {
		for (const socket of opened) socket.destroy();
		await vault?.close();
	});

	it('cuts trickled bodies, and answers /health while 150 of them are open', async () => {
		const sockets = await Promise.all(
			Array.from({ length: 150 }, (_, i) => trickle(port, `127.0.0.${10 + (i % 5)}`)),
		);
		const health = await fetch(`${base}/health`);
		expect(health.status).toBe(200);
		const stillOpen = sockets.filter((raw) => !raw.socket.closed).length;
		expect(stillOpen).toBeGreaterThan(0);
		await vi.waitFor(() => {
			expect(sockets.filter((raw) => !raw.socket.closed)).toEqual([]);
		}, WAIT_BOUND);
		for (const raw of sockets) {
			expect(raw.sent()).toBeLessThan(TRICKLED_LENGTH);
			expect(raw.received()).toMatch(/^HTTP\/1\.1 408 /);
			expect(raw.received()).toContain('"code":"REQUEST_TIMEOUT"');
		}
	});

	it(`refuses the socket past ${CAP} from one address with a 429, and serves others`, async () => {
		const held = await Promise.all(Array.from({ length: CAP }, () => open(port, '127.0.0.20')));
		const extra = await open(port, '127.0.0.20');
		extra.socket.write('GET /health HTTP/1.1\r\nhost: vault\r\n\r\n');
		await closedBy(extra);
		expect(extra.received()).toMatch(/^HTTP\/1\.1 429 /);
		expect(extra.received()).toContain('"code":"RATE_LIMITED"');
		const other = await open(port, '127.0.0.21');
		other.socket.write('GET /health HTTP/1.1\r\nhost: vault\r\nconnection: close\r\n\r\n');
		await closedBy(other);
		expect(other.received()).toMatch(/^HTTP\/1\.1 200 /);
		held[0]!.socket.destroy();
		await held[0]!.closed;
		const again = await open(port, '127.0.0.20');
		again.socket.write('GET /health HTTP/1.1\r\nhost: vault\r\nconnection: close\r\n\r\n');
		await closedBy(again);
		expect(again.received()).toMatch(/^HTTP\/1\.1 200 /);
		for (const raw of held) raw.socket.destroy();
	});

	it('drops refused sockets by a deadline even while they keep sending (review finding 6)', async () => {
		const held = await Promise.all(Array.from({ length: CAP }, () => open(port, '127.0.0.22')));
		// Each refused peer keeps its side open after the 429 and sends a byte every second, which
		// an idle timeout alone never sees as idle.
		const refused = await Promise.all(
			Array.from({ length: 5 }, () => open(port, '127.0.0.22', true)),
		);
		const timers = refused.map((raw) => {
			raw.socket.write('GET /health HTTP/1.1\r\nhost: vault\r\n');
			return setInterval(() => {
				if (raw.socket.writable) raw.socket.write('x');
			}, 1000);
		});
		try {
			await vi.waitFor(() => {
				expect(refused.filter((raw) => !raw.socket.closed)).toEqual([]);
			}, WAIT_BOUND);
		} finally {
			for (const timer of timers) clearInterval(timer);
		}
		for (const raw of refused) expect(raw.received()).toMatch(/^HTTP\/1\.1 429 /);
		for (const raw of held) raw.socket.destroy();
	});

	it('answers a header with a control byte in the vault shape, not Fastify default (review finding 10)', async () => {
		const raw = await open(port, '127.0.0.23');
		raw.socket.write('GET /health HTTP/1.1\r\nhost: vault\r\nuser-agent: \x01\r\n\r\n');
		await closedBy(raw);
		const [head = '', body = ''] = raw.received().split('\r\n\r\n');
		expect(head).toMatch(/^HTTP\/1\.1 400 /);
		expect(head.toLowerCase()).toContain('content-type: application/json');
		expect(JSON.parse(body)).toEqual({
			statusCode: 400,
			code: 'VALIDATION_FAILED',
			message: expect.stringContaining('not valid HTTP'),
		});
	});

	it('closes the connection after 401, 413 and 429 answers', async () => {
		const answers = new Map<number, RawSocket>();
		const send = async (status: number, request: string) => {
			const raw = await open(port, '127.0.0.30');
			raw.socket.write(request);
			await closedBy(raw);
			answers.set(status, raw);
		};
		await send(
			401,
			'GET /v1/clients HTTP/1.1\r\nhost: vault\r\nauthorization: Bearer wrong\r\n\r\n',
		);
		const big = 'x'.repeat(70_000);
		await send(
			413,
			`POST /v1/clients HTTP/1.1\r\nhost: vault\r\nauthorization: Bearer ${ADMIN_TOKEN}\r\n` +
				`content-type: application/json\r\ncontent-length: ${big.length}\r\n\r\n${big}`,
		);
		// the address's second wrong token: past AUTH_FAILURE_LIMIT
		await send(
			429,
			'GET /v1/clients HTTP/1.1\r\nhost: vault\r\nauthorization: Bearer wrong\r\n\r\n',
		);
		for (const [status, raw] of answers) {
			expect(raw.received()).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
			expect(raw.received().toLowerCase()).toContain('\r\nconnection: close\r\n');
		}
	});

	it('every answer forbids framing; /docs keeps a policy that lets its own scripts run', async () => {
		for (const path of ['/health', '/v1/clients', '/docs', '/docs/json']) {
			const response = await fetch(`${base}${path}`);
			expect(response.headers.get('x-frame-options')).toBe('DENY');
			expect(response.headers.get('x-content-type-options')).toBe('nosniff');
			expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
		}
		const docs = await fetch(`${base}/docs/`);
		const policy = docs.headers.get('content-security-policy') ?? '';
		expect(policy).toContain("script-src 'self'");
		expect(policy).not.toContain('upgrade-insecure-requests');
		expect((await fetch(`${base}/health`)).headers.get('content-security-policy')).toBe(
			"default-src 'none'; frame-ancestors 'none'",
		);
	});
});
