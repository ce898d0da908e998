import { openVault } from '../vault.js';
import { createConnectLink } from '../domain/connect-links.js';
import { VaultError } from '../errors.js';
import { connectLinkUrl } from '../routes/public-urls.js';
import type { Config } from '../config/config.js';

/**
 * `otobot-vault connect-link <client> <service> [--expires-in-minutes N]`: a single-use link the
 * client opens to (re)connect the account, e.g. after a connection needs re-authorisation.
 */
export async function connectLinkCommand(
	config: Config,
	clientId: string,
	service: string,
	options: { expiresInMinutes?: number; json?: boolean },
): Promise<number> {
	const vault = await openVault(config);
	try {
		const link = await createConnectLink(vault.db, clientId, service, {
			expiresInMinutes: options.expiresInMinutes,
			createdBy: 'cli',
			allowInsecureUrls: config.allowInsecureOAuthUrls,
		});
		const answer = {
			url: connectLinkUrl(config.publicUrl, link.token),
			expires_at: link.expires_at,
		};
		if (options.json) console.log(JSON.stringify(answer));
		else {
			console.log(
				`Send this link to the client (single use, expires ${link.expires_at.toISOString()}):`,
			);
			console.log(answer.url);
		}
		return 0;
	} catch (error) {
		if (!(error instanceof VaultError)) throw error;
		console.error(`${error.code}: ${error.message}`);
		return 1;
	} finally {
		await vault.db.close();
	}
}
