import { openVault } from '../vault.js';
import { createConnectLink } from '../domain/connect-links.js';
import { listConnectLinks, revokeConnectLink } from '../domain/connect-link-admin.js';
import type { ConnectLinkStatus } from '../storage/connect-links-store.js';
import { alignColumns } from './text-table.js';
import { VaultError } from '../errors.js';
import { connectLinkUrl } from '../routes/public-urls.js';
import type { Config } from '../config/config.js';
import { reportFailure } from './cli-output.js';

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
		reportFailure(`${error.code}: ${error.message}`);
		return 1;
	} finally {
		await vault.db.close();
	}
}

export interface ListLinksOptions {
	client?: string;
	service?: string;
	status?: ConnectLinkStatus;
	limit: number;
	after?: string;
	json?: boolean;
}

/**
 * `otobot-vault connect-link list [--client C] [--service S] [--status S]`: links newest first,
 * never a token (the vault keeps only hashes), as aligned columns or JSON.
 */
export async function listConnectLinksCommand(
	config: Config,
	options: ListLinksOptions,
): Promise<number> {
	const vault = await openVault(config);
	try {
		const page = await listConnectLinks(vault.db, {
			clientId: options.client,
			service: options.service,
			status: options.status,
			after: options.after,
			limit: options.limit,
		});
		if (options.json) {
			console.log(JSON.stringify(page));
			return 0;
		}
		if (page.links.length === 0) {
			console.log('No connect links.');
			return 0;
		}
		const lines = alignColumns([
			['ID', 'CLIENT', 'SERVICE', 'STATUS', 'CREATED', 'EXPIRES', 'REVOKED BECAUSE'],
			...page.links.map((link) => [
				link.id,
				link.client_id,
				link.service,
				link.status,
				link.created_at.toISOString(),
				link.expires_at.toISOString(),
				link.revoked_reason ?? '',
			]),
		]);
		console.log(lines.join('\n'));
		if (page.next_after) console.log(`More: add --after ${page.next_after}`);
		return 0;
	} finally {
		await vault.db.close();
	}
}

/** `otobot-vault connect-link revoke <id>`: exit 1 when no link has that id. */
export async function revokeConnectLinkCommand(config: Config, id: string): Promise<number> {
	const vault = await openVault(config);
	try {
		const link = await revokeConnectLink(vault.db, id);
		console.log(
			link.status === 'revoked'
				? `Revoked the connect link ${link.id} (${link.client_id}/${link.service}).`
				: `The connect link ${link.id} was already ${link.status}; it cannot be opened.`,
		);
		return 0;
	} catch (error) {
		if (!(error instanceof VaultError)) throw error;
		reportFailure(`${error.message} (otobot-vault connect-link list shows them).`);
		return 1;
	} finally {
		await vault.db.close();
	}
}
