import fp from 'fastify-plugin';
import { startKeyringReload } from '../../crypto/keyring-reload.js';

/** Keeps this app's data keys current with the table: see crypto/keyring-reload.ts. */
export default fp(
	async (fastify) => {
		let reload: ReturnType<typeof startKeyringReload> | undefined;
		fastify.addHook('onReady', async () => {
			reload = startKeyringReload(fastify.keyring, fastify.config.keyringReloadMs, fastify.log);
		});
		fastify.addHook('onClose', async () => reload?.stop());
	},
	{ name: 'keyring-reload', dependencies: ['database'] },
);
