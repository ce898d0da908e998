import fp from 'fastify-plugin';
import type { Database } from '../../storage/database.js';
import { RequestTransaction } from '../../storage/request-transaction.js';

declare module 'fastify' {
	interface FastifyRequest {
		/** The database for this request's statements: a write route's own transaction, or the pool. */
		readonly db: Database;
		/** Set on routes with `config.writes`: ended by the audit hook, with the audit row in it. */
		writeTransaction?: RequestTransaction;
	}
	interface FastifyContextConfig {
		/**
		 * The route changes state: its statements and its audit row commit in one transaction
		 * (plugins/app/audit.ts), so a write is never kept without its row. Its handler uses
		 * `request.db`, and nothing else on the database while the transaction is open.
		 */
		writes?: boolean;
	}
}

/** One transaction per admin write, begun at its first statement (storage/request-transaction.ts). */
export default fp(
	async (fastify) => {
		fastify.decorateRequest('db', {
			getter() {
				return this.writeTransaction?.db ?? fastify.db;
			},
		});
		// after authentication and validation: a refused request begins nothing
		fastify.addHook('preHandler', async (request) => {
			if (request.routeOptions.config.writes)
				request.writeTransaction = new RequestTransaction(fastify.db);
		});
		// a transaction the audit hook did not end (no answer was sent) is rolled back
		fastify.addHook('onResponse', async (request) => {
			await request.writeTransaction?.end(false);
		});
	},
	{ name: 'write-transaction', dependencies: ['database'] },
);
