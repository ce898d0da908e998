import fp from 'fastify-plugin';
import type { Database } from '../../storage/database.js';

declare module 'fastify' {
	interface FastifyInstance {
		db: Database;
	}
}

/** Decorates the app with its (already migrated) database; closed with the app when it owns it. */
export default fp<{ db: Database; closeOnExit: boolean }>(
	async (fastify, options) => {
		fastify.decorate('db', options.db);
		if (options.closeOnExit) fastify.addHook('onClose', () => options.db.close());
	},
	{ name: 'database' },
);
