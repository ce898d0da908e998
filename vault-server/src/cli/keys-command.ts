import { VaultError } from '../errors.js';
import { openVault } from '../vault.js';
import { keysStatus, type KeysStatus } from '../domain/key-status.js';
import { retireDataKey, rotateDataKey } from '../domain/key-rotation.js';
import type { Config } from '../config/config.js';
import { reportFailure } from './cli-output.js';

function printStatus(status: KeysStatus) {
	console.log(`Data keys (active version: ${status.active_version ?? 'none'})`);
	for (const key of status.keys) {
		const places = Object.entries(key.by_location).map(([name, count]) => `${name} ${count}`);
		console.log(
			[
				`  version ${key.version}`.padEnd(14),
				key.status.padEnd(13),
				key.created_at ? `created ${key.created_at.toISOString()}` : 'not in encryption_keys!',
				`${key.ciphertexts} ciphertext(s)${places.length > 0 ? ` (${places.join(', ')})` : ''}`,
			].join('  '),
		);
	}
	if (status.not_on_active > 0) {
		console.log(
			`${status.not_on_active} ciphertext(s) are under an older version: run \`otobot-vault keys rewrap\`.`,
		);
	} else console.log('Every ciphertext is under the active version.');
}

/** `otobot-vault keys status [--json]`: data key versions and the ciphertexts each protects. */
export async function keysStatusCommand(config: Config, options: { json?: boolean }) {
	return withVault(config, async (vault) => {
		const status = await keysStatus(vault.db);
		if (options.json) console.log(JSON.stringify(status));
		else printStatus(status);
		return 0;
	});
}

/** `otobot-vault keys rotate [--json]`: a new data key version, active for new secrets. */
export async function keysRotateCommand(config: Config, options: { json?: boolean }) {
	return withVault(config, async (vault) => {
		const rotation = await rotateDataKey(vault.db, vault.masterKey.key);
		if (options.json) console.log(JSON.stringify(rotation));
		else {
			console.log(
				`Data key version ${rotation.version} is now active` +
					(rotation.previous ? ` (version ${rotation.previous} is decrypt-only).` : '.'),
			);
			console.log(
				`Running vault processes seal new secrets with it within KEYRING_RELOAD_SECONDS (${config.keyringReloadMs / 1000} s). ` +
					'Next: otobot-vault keys rewrap',
			);
		}
		return 0;
	});
}

/** `otobot-vault keys retire <version>`: exit 1 (with the error code) while it is active or used. */
export async function keysRetireCommand(config: Config, version: number) {
	return withVault(config, async (vault) => {
		const outcome = await retireDataKey(vault.db, version, {
			settleMs: 2 * config.keyringReloadMs,
		});
		console.log(
			outcome === 'retired'
				? `Key version ${version} is retired.`
				: `Key version ${version} was already retired.`,
		);
		return 0;
	});
}

/** Runs `work` on the opened vault; a VaultError becomes its code on stderr and exit status 1. */
async function withVault(
	config: Config,
	work: (vault: Awaited<ReturnType<typeof openVault>>) => Promise<number>,
): Promise<number> {
	const vault = await openVault(config);
	try {
		return await work(vault);
	} catch (error) {
		if (!(error instanceof VaultError)) throw error;
		reportFailure(`${error.code}: ${error.message}`);
		return 1;
	} finally {
		await vault.db.close();
	}
}
