import type { FastifyBaseLogger } from 'fastify';
import type { Keyring } from './keyring.js';

/**
 * Reloads the data keys every `intervalMs`, so a `keys rotate` run elsewhere makes this process
 * seal new secrets with the new version within that time. (Decryption needs no wait: a version it
 * does not know makes it reload at once.) A failed reload keeps the keys it had and is logged.
 */
export function startKeyringReload(keyring: Keyring, intervalMs: number, log: FastifyBaseLogger) {
	let running: Promise<void> = Promise.resolve();
	const timer = setInterval(() => {
		running = (async () => {
			const before = keyring.activeVersion;
			try {
				await keyring.reload();
			} catch (error) {
				log.error({ err: error }, 'data key reload failed; keeping the keys loaded before');
				return;
			}
			if (keyring.activeVersion !== before) {
				log.info({ from: before, to: keyring.activeVersion }, 'active data key version changed');
			}
		})();
	}, intervalMs);
	timer.unref();
	return {
		async stop() {
			clearInterval(timer);
			await running;
		},
	};
}
