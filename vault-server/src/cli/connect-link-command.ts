import { parseArgs } from 'node:util';
import { openVault } from '../vault.js';
import { createConnectLink } from '../domain/connect-links.js';
import { VaultError } from '../errors.js';
import type { Command } from './commands.js';

/**
 * `otobot-vault connect-link <client> <service> [--expires-in-minutes N]`: a single-use link the
 * client opens to (re)connect the account, e.g. after a connection needs re-authorisation.
 */
export const connectLinkCommand: Command = async (args, config) => {
	const { values, positionals } = parseArgs({
		args,
		allowPositionals: true,
		options: {
			'expires-in-minutes': { type: 'string' },
			json: { type: 'boolean', default: false },
		},
	});
	const [clientId, service] = positionals;
	const minutes =
		values['expires-in-minutes'] === undefined ? undefined : Number(values['expires-in-minutes']);
	if (
		!clientId ||
		!service ||
		(minutes !== undefined && !(Number.isInteger(minutes) && minutes > 0))
	) {
		console.error(
			'Usage: otobot-vault connect-link <client_id> <service> [--expires-in-minutes N]',
		);
		return 2;
	}
	const vault = await openVault(config);
	try {
		const link = await createConnectLink(vault.db, clientId, service, {
			publicUrl: config.publicUrl,
			expiresInMinutes: minutes,
			createdBy: 'cli',
			allowInsecureUrls: config.allowInsecureOAuthUrls,
		});
		if (values.json) console.log(JSON.stringify(link));
		else {
			console.log(
				`Send this link to the client (single use, expires ${link.expires_at.toISOString()}):`,
			);
			console.log(link.url);
		}
		return 0;
	} catch (error) {
		if (!(error instanceof VaultError)) throw error;
		console.error(`${error.code}: ${error.message}`);
		return 1;
	} finally {
		await vault.db.close();
	}
};
