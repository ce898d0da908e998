import { parseArgs } from 'node:util';
import { VaultError } from '../errors.js';
import { openVault } from '../vault.js';
import { keysStatus, type KeysStatus } from '../domain/key-status.js';
import { retireDataKey, rotateDataKey } from '../domain/key-rotation.js';
import { rewrapAll, type RewrapTotals } from '../domain/rewrap.js';
import type { Config } from '../config/config.js';
import { rewrapProgress } from './rewrap-progress.js';
import type { Command } from './commands.js';

const USAGE =
	'Usage: otobot-vault keys status [--json] | rotate [--json] | rewrap [--batch N] [--pause-ms MS] [--json] | retire <version>';

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

function printRewrap(totals: RewrapTotals) {
	console.log(
		`Rewrapped ${totals.rewrapped} row(s), ${totals.ciphertexts} ciphertext(s), to key version ${totals.target}; ` +
			`${totals.remaining} row(s) left under older versions.`,
	);
	for (const failed of totals.failed) {
		console.error(
			`  cannot decrypt ${failed.location} ${JSON.stringify(failed.key)} (its key version is retired or unknown)`,
		);
	}
	if (totals.interrupted)
		console.error(
			'Interrupted: run `otobot-vault keys rewrap` again to continue where it stopped.',
		);
	else if (totals.remaining > totals.failed.length) {
		console.error(
			'Some rows were busy (being refreshed or written): run `otobot-vault keys rewrap` again.',
		);
	}
}

async function rewrap(
	config: Config,
	values: { batch?: string; 'pause-ms'?: string; json?: boolean },
) {
	const batchSize = Number(values.batch ?? 100);
	const pauseMs = Number(values['pause-ms'] ?? 0);
	if (
		!Number.isInteger(batchSize) ||
		batchSize < 1 ||
		batchSize > 10_000 ||
		!Number.isInteger(pauseMs) ||
		pauseMs < 0 ||
		pauseMs > 60_000
	) {
		console.error('--batch takes 1 to 10000 rows, --pause-ms 0 to 60000');
		return 2;
	}
	const vault = await openVault(config);
	const stop = new AbortController();
	// the first Ctrl-C ends the run after the current batch; a second one the default way
	const onSignal = () => stop.abort();
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	try {
		const progress = values.json ? undefined : rewrapProgress(process.stdout);
		const totals = await rewrapAll(vault.db, vault.keyring, {
			batchSize,
			pauseMs,
			signal: stop.signal,
			onProgress: (current) => progress?.update(current),
		});
		progress?.end();
		if (values.json) console.log(JSON.stringify(totals));
		else printRewrap(totals);
		if (totals.interrupted) return 130;
		return totals.remaining === 0 ? 0 : 1;
	} finally {
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
		await vault.db.close();
	}
}

/** `otobot-vault keys ...`: data key versions, rotation, rewrap and retirement. */
export const keysCommand: Command = async (args, config) => {
	const [action, ...rest] = args;
	const { values, positionals } = parseArgs({
		args: rest,
		allowPositionals: true,
		options: {
			json: { type: 'boolean', default: false },
			batch: { type: 'string' },
			'pause-ms': { type: 'string' },
		},
	});
	if (action === 'rewrap') return rewrap(config, values);
	if (action !== 'status' && action !== 'rotate' && action !== 'retire') {
		console.error(USAGE);
		return 2;
	}
	const version = Number(positionals[0]);
	if (action === 'retire' && !(Number.isInteger(version) && version > 0)) {
		console.error('Usage: otobot-vault keys retire <version>');
		return 2;
	}
	const vault = await openVault(config);
	try {
		if (action === 'status') {
			const status = await keysStatus(vault.db);
			if (values.json) console.log(JSON.stringify(status));
			else printStatus(status);
			return 0;
		}
		if (action === 'rotate') {
			const rotation = await rotateDataKey(vault.db, vault.masterKey.key);
			if (values.json) console.log(JSON.stringify(rotation));
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
		}
		const outcome = await retireDataKey(vault.db, version, {
			settleMs: 2 * config.keyringReloadMs,
		});
		console.log(
			outcome === 'retired'
				? `Key version ${version} is retired.`
				: `Key version ${version} was already retired.`,
		);
		return 0;
	} catch (error) {
		if (!(error instanceof VaultError)) throw error;
		console.error(`otobot-vault: ${error.code}: ${error.message}`);
		return 1;
	} finally {
		await vault.db.close();
	}
};
