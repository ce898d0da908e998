// An HTTPS proxy on a free loopback port that answers for one registry host (n8n's default) from
// the local registry, so an n8n without the licence for a custom registry still installs from it.
// It terminates TLS with a throwaway certificate for that host, signed by a throwaway CA the test
// hands to n8n (NODE_EXTRA_CA_CERTS); every other host is refused with 403.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';

import { freePort } from './ports.mjs';

/** A CA and a server certificate for `hostname` signed by it, both valid one day. */
function makeCertificates(dir, hostname) {
	const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
	openssl(
		...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem'],
		...['-days', '1', '-subj', '/CN=otobot test registry CA'],
		...['-addext', 'basicConstraints=critical,CA:TRUE'],
		...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
	);
	openssl(
		...['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr'],
		...['-subj', `/CN=${hostname}`],
	);
	writeFileSync(
		join(dir, 'server.ext'),
		`basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${hostname}\n`,
	);
	openssl(
		...['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key'],
		...['-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'server.ext'],
	);
	return {
		caFile: join(dir, 'ca.pem'),
		key: readFileSync(join(dir, 'server.key')),
		cert: readFileSync(join(dir, 'server.pem')),
	};
}

/**
 * Starts the proxy for `registryUrl`'s host, forwarding to `targetUrl` (the local registry) with
 * that host in `Host` and `X-Forwarded-Proto: https`, so the registry's tarball links name the
 * same host and come back through here. Resolves with `{url, caFile, served, stop()}`: `served`
 * lists each request forwarded (`GET /n8n-nodes-otobot`), `url` goes into HTTPS_PROXY.
 */
export async function startRegistryProxy({ workDir, registryUrl, targetUrl }) {
	const { hostname } = new URL(registryUrl);
	const dir = join(workDir, 'registry-proxy');
	mkdirSync(dir, { recursive: true });
	const { caFile, key, cert } = makeCertificates(dir, hostname);
	const target = new URL(targetUrl);
	const served = [];

	// the requests inside the tunnel, after TLS: forwarded to the local registry as they came
	const registry = createServer((request, response) => {
		served.push(`${request.method} ${request.url}`);
		const upstream = httpRequest(
			{
				host: target.hostname,
				port: target.port,
				method: request.method,
				path: request.url,
				headers: { ...request.headers, host: hostname, 'x-forwarded-proto': 'https' },
			},
			(answer) => {
				response.writeHead(answer.statusCode, answer.headers);
				answer.pipe(response);
			},
		);
		upstream.on('error', () => response.destroy());
		request.pipe(upstream);
	});

	const proxy = createServer((request, response) => {
		// a plain (not tunnelled) proxy request: nothing here should make one
		response.writeHead(403).end();
	});
	const sockets = new Set();
	proxy.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	proxy.on('connect', (request, socket) => {
		if (request.url !== `${hostname}:443`) {
			socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
			return;
		}
		socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
		const tls = new TLSSocket(socket, { isServer: true, key, cert });
		tls.on('error', () => socket.destroy());
		registry.emit('connection', tls);
	});

	const port = await freePort();
	await new Promise((resolve) => proxy.listen(port, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${port}`,
		caFile,
		served,
		async stop() {
			for (const socket of sockets) socket.destroy();
			await new Promise((resolve) => proxy.close(resolve));
		},
	};
}
