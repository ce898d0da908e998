import type { Config } from '../config/config.js';
import { openVault } from '../vault.js';
import { createApiToken } from '../domain/api-tokens.js';
import { apiTokensStore } from '../storage/api-tokens-store.js';
import { clientsStore } from '../storage/clients-store.js';
import { alignColumns } from './text-table.js';
import { printable, reportFailure } from './cli-output.js';

export interface CreateTokenOptions {
	name: string;
	scope: 'admin' | 'read';
	expiresInDays?: number;
	/** Read tokens only: the clients it may fetch; unset: every client. */
	clients?: string[];
	json?: boolean;
}

/** `otobot-vault token create`: prints the new token once; the vault keeps only its hash. */
export async function createTokenCommand(
	config: Config,
	options: CreateTokenOptions,
): Promise<number> {
	const vault = await openVault(config);
	try {
		const { token, row } = await createApiToken(vault.db, {
			name: options.name,
			scope: options.scope,
			expiresInDays: options.expiresInDays,
			clients: options.clients,
		});
		// a client may be added after its token (an agency readies n8n first), so this warns, not refuses
		const missing: string[] = [];
		for (const id of options.clients ?? [])
			if (!(await clientsStore(vault.db).get(id))) missing.push(id);
		if (missing.length > 0)
			process.stderr.write(
				`otobot-vault: warning: no client ${missing.map((id) => `'${id}'`).join(', ')} exists yet: ` +
					'the token can fetch credentials only of clients with those ids once they are created ' +
					'(check the spelling; `token revoke` withdraws it).\n',
			);
		if (options.json)
			console.log(JSON.stringify({ id: row.id, token, expires_at: row.expires_at }));
		else {
			console.log(
				`Created ${row.scope} token '${row.name}' (id ${row.id}${row.expires_at ? `, expires ${row.expires_at.toISOString()}` : ''}).`,
			);
			console.log('Copy it now; the vault keeps only its hash:');
			console.log(token);
		}
		return 0;
	} finally {
		await vault.db.close();
	}
}

/** `otobot-vault token list [--json]`: every API token, never its value, as aligned columns. */
export async function listTokensCommand(config: Config, options: { json?: boolean }) {
	const vault = await openVault(config);
	try {
		const rows = await apiTokensStore(vault.db).list();
		if (options.json) {
			console.log(JSON.stringify(rows.map(({ token_hash: _hash, ...row }) => row)));
			return 0;
		}
		if (rows.length === 0) {
			console.log('No API tokens.');
			return 0;
		}
		const now = new Date();
		const lines = alignColumns([
			['ID', 'SCOPE', 'CLIENTS', 'STATE', 'PREFIX', 'NAME', 'EXPIRES', 'LAST USED'],
			...rows.map((row) => [
				row.id,
				row.scope,
				row.clients ? row.clients.join(',') : 'all',
				row.revoked_at ? 'revoked' : row.expires_at && row.expires_at < now ? 'expired' : 'active',
				row.token_prefix,
				printable(row.name),
				row.expires_at ? row.expires_at.toISOString() : 'no expiry',
				row.last_used_at ? row.last_used_at.toISOString() : 'never used',
			]),
		]);
		console.log(lines.join('\n'));
		return 0;
	} finally {
		await vault.db.close();
	}
}

/** `otobot-vault token revoke <id>`: exit 1 when no token has that id. */
export async function revokeTokenCommand(config: Config, id: string): Promise<number> {
	const vault = await openVault(config);
	try {
		const row = await apiTokensStore(vault.db).revoke(id);
		if (!row) {
			reportFailure(`No token with id '${id}' (otobot-vault token list shows them).`);
			return 1;
		}
		console.log(`Revoked token '${row.name}' (${row.id}).`);
		return 0;
	} finally {
		await vault.db.close();
	}
}
