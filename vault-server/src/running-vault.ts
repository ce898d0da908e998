import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

// beside the embedded database's lock file (vault.pid): where the process holding it answers
const FILE = 'vault-api.json';

/**
 * The URL a local command reaches a listening server at: the bound port (which `serve --port`
 * or PORT may have changed), on loopback when it listens on every interface.
 */
export function localUrlOf(address: AddressInfo): string {
	const anyHost = address.address === '0.0.0.0' || address.address === '::';
	const host = anyHost ? '127.0.0.1' : address.address;
	return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/**
 * Where a vault configured with HOST and PORT answers on this machine: what the diagnostics check
 * (its /health, the demo data's test_url), rather than PUBLIC_URL, which may name a proxy or a
 * name this machine cannot resolve.
 */
export const localApiUrl = (config: { host: string; port: number }): string =>
	localUrlOf({
		address: config.host === '' ? '0.0.0.0' : config.host,
		port: config.port,
		family: '',
	});

/**
 * Records, in the data folder, where this process (which holds the embedded database) serves its
 * API, so the CLI can ask it instead; returns the function that removes the record. Written by
 * rename, so a reader never sees half of it.
 */
export function advertiseRunningVault(dataDir: string, url: string): () => void {
	const file = join(dataDir, FILE);
	writeFileSync(`${file}.tmp`, `${JSON.stringify({ pid: process.pid, url })}\n`, { mode: 0o600 });
	renameSync(`${file}.tmp`, file);
	return () => {
		try {
			const record = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number };
			if (record.pid === process.pid) rmSync(file, { force: true });
		} catch {
			// already gone or not ours to remove
		}
	};
}

/** The URL process `pid` advertised in `dataDir`, if it is that process's record. */
export function runningVaultUrl(dataDir: string, pid: number): string | undefined {
	try {
		const record = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as {
			pid?: unknown;
			url?: unknown;
		};
		return record.pid === pid && typeof record.url === 'string' ? record.url : undefined;
	} catch {
		return undefined;
	}
}
