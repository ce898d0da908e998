import { parseArgs } from 'node:util';
import { openVault } from '../vault.js';
import { createApiToken } from '../domain/api-tokens.js';
import { apiTokensStore } from '../storage/api-tokens-store.js';
import type { Command } from './commands.js';

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const tokenCommand: Command = async (args, config) => {
	const [action, ...rest] = args;
	const { values, positionals } = parseArgs({
		args: rest,
		allowPositionals: true,
		options: {
			name: { type: 'string' },
			scope: { type: 'string' },
			'expires-in-days': { type: 'string' },
			clients: { type: 'string' },
			json: { type: 'boolean', default: false },
		},
	});
	if (action === 'create') {
		if (!values.name || (values.scope !== 'admin' && values.scope !== 'read')) {
			console.error('token create needs --name and --scope admin|read');
			return 2;
		}
		const days =
			values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
		if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) {
			console.error('--expires-in-days must be a whole number from 1 to 3650');
			return 2;
		}
		const clients = values.clients
			?.split(',')
			.map((id) => id.trim())
			.filter(Boolean);
		if (clients?.some((id) => !CLIENT_ID.test(id)) || (clients && values.scope === 'admin')) {
			console.error('--clients takes client ids, and only for read tokens');
			return 2;
		}
		const vault = await openVault(config);
		try {
			const { token, row } = await createApiToken(vault.db, {
				name: values.name,
				scope: values.scope,
				expiresInDays: days,
				clients,
			});
			if (values.json)
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
	if (action === 'list' || action === 'revoke') {
		const vault = await openVault(config);
		try {
			const store = apiTokensStore(vault.db);
			if (action === 'revoke') {
				const id = positionals[0];
				const row = id && /^[0-9a-f-]{36}$/i.test(id) ? await store.revoke(id) : undefined;
				if (!row) {
					console.error(`No token with id '${id ?? ''}'`);
					return 1;
				}
				console.log(`Revoked token '${row.name}' (${row.id}).`);
				return 0;
			}
			const rows = await store.list();
			if (values.json)
				console.log(JSON.stringify(rows.map(({ token_hash: _hash, ...row }) => row)));
			else
				for (const row of rows) {
					const state = row.revoked_at
						? 'revoked'
						: row.expires_at && row.expires_at < new Date()
							? 'expired'
							: 'active';
					console.log(
						[
							row.id,
							row.scope.padEnd(5),
							state.padEnd(7),
							row.token_prefix,
							row.name,
							row.expires_at ? `expires ${row.expires_at.toISOString()}` : 'no expiry',
							row.last_used_at ? `last used ${row.last_used_at.toISOString()}` : 'never used',
						].join('  '),
					);
				}
			return 0;
		} finally {
			await vault.db.close();
		}
	}
	console.error('Usage: otobot-vault token create|list|revoke');
	return 2;
};
