import type { Config } from '../config/config.js';
import { openVault } from '../vault.js';
import { rewrapAll, type RewrapTotals } from '../domain/rewrap.js';
import { rewrapProgress } from './rewrap-progress.js';

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

/**
 * `otobot-vault keys rewrap [--batch N] [--pause-ms MS] [--json]`: re-encrypts, batch by batch,
 * every ciphertext under an older data key version. Exit 0 when none is left, 1 when some are
 * (busy or undecryptable rows), 130 when Ctrl-C stopped it after a batch.
 */
export async function keysRewrapCommand(
	config: Config,
	options: { batch: number; pauseMs: number; json?: boolean },
): Promise<number> {
	const { batch: batchSize, pauseMs } = options;
	const vault = await openVault(config);
	const stop = new AbortController();
	// the first Ctrl-C ends the run after the current batch; a second one the default way
	const onSignal = () => stop.abort();
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);
	try {
		const progress = options.json ? undefined : rewrapProgress(process.stdout);
		const totals = await rewrapAll(vault.db, vault.keyring, {
			batchSize,
			pauseMs,
			signal: stop.signal,
			onProgress: (current) => progress?.update(current),
		});
		progress?.end();
		if (options.json) console.log(JSON.stringify(totals));
		else printRewrap(totals);
		if (totals.interrupted) return 130;
		return totals.remaining === 0 ? 0 : 1;
	} finally {
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
		await vault.db.close();
	}
}
